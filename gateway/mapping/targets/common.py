"""What every target builder shares: the document context, the version stamp and issue helpers.

The occurred-at time is always the document's own (X12 carries no zone: read as UTC), never the
wall clock, so replaying a document gives the same events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gateway.canonical import models as canonical
from gateway.formats.issues import IssueCode, Severity
from gateway.formats.x12.model import TransactionSet
from gateway.mapping.engine import Extraction, Record

Event = canonical.Commitment | canonical.Shipment | canonical.FunctionalAck | canonical.PurchaseOrder


@dataclass(frozen=True, slots=True)
class MapContext:
    """Who sent the document and how it is known; `file` only enriches issue locations."""

    partner_id: str
    document_id: str
    file: str | None = None


@dataclass(slots=True)
class Build:
    ts: TransactionSet
    ctx: MapContext
    run: Extraction
    root: Record

    def occurred_at(self, *records: Record) -> datetime | None:
        """The first `occurred_at` the map found, else the group's, else the interchange's date."""
        for rec in records:
            if (value := rec.moment("occurred_at")) is not None:
                return value
        value = self.ts.group.prepared_at() if self.ts.group is not None else None
        value = value or self.ts.interchange.prepared_at()
        if value is None:
            self.run.issue(
                IssueCode.MISSING_VALUE,
                Severity.ERROR,
                None,
                "the document carries no readable date, so it cannot be ordered in time",
            )
        return value

    def stamp(self, issued_at: datetime) -> canonical.VersionStamp:
        icn = self.ts.interchange.control_number.strip()
        return canonical.VersionStamp(
            issued_at=issued_at,
            sequence=int(icn) if icn.isdigit() else 0,
            source=f"x12:{self.ts.set_id}:{icn}",
        )

    def fail(self, rec: Record | None, message: str) -> None:
        """An event that could not be built (its required values are already reported)."""
        self.run.issue(IssueCode.MISSING_VALUE, Severity.ERROR, rec.start if rec else None, message)
