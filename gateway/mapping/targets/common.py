"""What every target builder shares: the document context, the version stamp and issue helpers.

The occurred-at time is always the document's own (X12 carries no zone: read as UTC), never the
wall clock, so replaying a document gives the same events. `DocumentFacts` is all a builder knows of
the envelope, so the same builders serve every format whose map yields the same record fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final, NamedTuple

from gateway.canonical import models as canonical
from gateway.formats.issues import Issue, IssueCode, Severity
from gateway.formats.x12.model import GroupHeader, InterchangeHeader, TransactionSet
from gateway.mapping.conversions import Reporter
from gateway.mapping.engine import Record

Event = canonical.Commitment | canonical.Shipment | canonical.FunctionalAck | canonical.PurchaseOrder

# An event before validation: every field of its canonical model, in the model's order, with values
# of the model's types (enum members, Decimal, date, aware datetime, tuples of drafts for nested
# models); a field the model leaves out of its JSON while empty (`exclude_if`) is left out while
# empty. `Model.model_validate(draft)` gives the event; `pydantic_core.to_json(draft)` gives exactly
# its `model_dump_json()` without building it (what `gateway translate` writes).
Draft = dict[str, object]


@dataclass(frozen=True, slots=True)
class MappingResult:
    """What applying a map to one document gave: its events, and every issue found on the way."""

    events: tuple[Event, ...]
    issues: tuple[Issue, ...]


class MapContext(NamedTuple):
    """Who sent the document and how it is known; `file` only enriches issue locations (a
    NamedTuple: one is made per document)."""

    partner_id: str
    document_id: str
    file: str | None = None


_new: Final = tuple.__new__
_MAP_CONTEXT: Final = MapContext


def map_context(partner_id: str, document_id: str, file: str | None = None) -> MapContext:
    """`MapContext(...)` without the NamedTuple's Python-level __new__, which a compiled build runs
    interpreted (about 4,000 instructions with keywords; one is made per document)."""
    return _new(_MAP_CONTEXT, (partner_id, document_id, file))


class DocumentFacts(NamedTuple):
    """What a document's envelope tells every builder, whatever the format: the date to fall back on
    when the document names none, and the parts of its version stamp (a NamedTuple: one is made
    per document)."""

    prepared_at: datetime | None  # the group's date, else the interchange's (X12 GS04/ISA09, UNB 0017)
    sequence: int  # breaks ties between stamps of the same time: ISA13, UNB 0020, cXML version
    source: str  # e.g. "x12:855:000000042"

    @classmethod
    def of_x12(cls, ts: TransactionSet) -> DocumentFacts:
        last = _last_facts
        if last is not None and last[0] is ts.interchange and last[1] is ts.group and last[2] == ts.set_id:
            return last[3]  # the sets of a group share their facts
        prepared = ts.group.prepared_at() if ts.group is not None else None
        icn = ts.interchange.control_number.strip()
        facts = cls(
            prepared_at=prepared or ts.interchange.prepared_at(),
            sequence=int(icn) if icn.isdigit() else 0,
            source=f"x12:{ts.set_id}:{icn}",
        )
        _remember(ts, facts)
        return facts


_last_facts: tuple[InterchangeHeader, GroupHeader | None, str, DocumentFacts] | None = None


def _remember(ts: TransactionSet, facts: DocumentFacts) -> None:
    global _last_facts
    _last_facts = (ts.interchange, ts.group, ts.set_id, facts)


# Where builders report what they could not build: the engine run, which knows the document.
IssueSink = Reporter


@dataclass(slots=True, init=False)
class Build:
    facts: DocumentFacts
    ctx: MapContext
    run: IssueSink
    root: Record

    def __init__(self, facts: DocumentFacts, ctx: MapContext, run: IssueSink, root: Record) -> None:
        self.facts, self.ctx, self.run, self.root = facts, ctx, run, root  # native in a compiled build

    def occurred_at(self, *records: Record) -> datetime | None:
        """The first `occurred_at` the map found, else the envelope's date."""
        for rec in records:
            if (value := rec.moment("occurred_at")) is not None:
                return value
        value = self.facts.prepared_at
        if value is None:
            self.run.issue(
                IssueCode.MISSING_VALUE,
                Severity.ERROR,
                None,
                "the document carries no readable date, so it cannot be ordered in time",
            )
        return value

    def stamp(self, issued_at: datetime) -> canonical.VersionStamp:
        """The event's version stamp. A map may name the document's own revision number as the header
        field `sequence` (cXML ConfirmationHeader@version, a portal's revision); it then breaks ties
        instead of the envelope's sequence."""
        return canonical.VersionStamp.model_validate(self.stamp_draft(issued_at))

    def stamp_draft(self, issued_at: datetime) -> Draft:
        """`stamp` as a draft."""
        sequence = self.root.integer("sequence")
        return {
            "issued_at": issued_at,
            "sequence": self.facts.sequence if sequence is None else sequence,
            "source": self.facts.source,
        }

    def fail(self, rec: Record | None, message: str) -> None:
        """An event that could not be built (its required values are already reported)."""
        self.run.issue(IssueCode.MISSING_VALUE, Severity.ERROR, rec.start if rec else None, message)
