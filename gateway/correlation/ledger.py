"""The per-line state correlation reads and returns: what was ordered, committed, shipped, received.

The pipeline loads a `PurchaseOrderState` (the PO plus one `LineLedger` per line it has seen
activity for), passes it in, and stores the `LineLedger` values correlation returns. Ledgers are
frozen pydantic models, so they serialise to JSON as they are.

Quantities in a ledger are in the PO line's unit; prices are per that unit in the PO currency.
A split commitment (60 on one date, 40 later) is kept split in `committed_schedule`;
`committed_date` stays the latest split's date.
Shipped quantities are kept BY shipment id, so a replaced ship notice replaces its own figure and a
document processed twice never counts twice.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field

from gateway.canonical.models import (
    CommitmentStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    ScheduleLine,
    VersionStamp,
)

DateKind = Literal["delivery", "ship"]


class CommitmentScope(StrEnum):
    """Where the commitment applied to a line came from. Within one document (same version stamp)
    a line-level commitment is more specific than the header-level one and replaces it."""

    HEADER = "header"
    LINE = "line"


class Freshness(StrEnum):
    NEWER = "newer"  # apply it
    DUPLICATE = "duplicate"  # same version again: nothing to do
    OLDER = "older"  # arrived late: recorded and ignored


class LineLedger(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    po_number: str
    line_number: str
    ordered_quantity: Decimal
    unit: str
    unit_price: Decimal | None = None
    requested_date: dt.date | None = None
    cancelled: bool = False

    ack_status: CommitmentStatus | None = None
    committed_quantity: Decimal | None = None
    committed_date: dt.date | None = None
    committed_date_kind: DateKind | None = None
    committed_price: Decimal | None = None
    # The newest commitment's splits, each in the line's unit (empty when it stated no split, when
    # it was a rejection, and in ledgers stored before splits were kept).
    committed_schedule: tuple[ScheduleLine, ...] = ()
    commitment_version: VersionStamp | None = None
    commitment_scope: CommitmentScope | None = None
    commitment_document_id: str | None = None

    shipped: dict[str, Decimal] = Field(default_factory=dict)
    # The newest version applied per shipment id, kept after a delete so an older copy of the
    # deleted notice arriving late cannot bring its quantity back.
    shipment_versions: dict[str, VersionStamp] = Field(default_factory=dict)
    received_quantity: Decimal = Decimal(0)

    @property
    def shipped_total(self) -> Decimal:
        return sum(self.shipped.values(), Decimal(0))

    @property
    def has_commitment(self) -> bool:
        return self.commitment_version is not None

    @classmethod
    def for_line(cls, po_number: str, line: PurchaseOrderLine) -> LineLedger:
        """A fresh ledger: ordered, nothing committed or shipped yet."""
        return cls(po_number=po_number, line_number=line.line_number, **_ordered_fields(line))

    def synced_with(self, line: PurchaseOrderLine) -> LineLedger:
        """This ledger with the ordered figures of the PO line as it stands (a revised PO)."""
        fields = _ordered_fields(line)
        if all(getattr(self, k) == v for k, v in fields.items()):
            return self
        return self.model_copy(update=dict(fields))

    def commitment_freshness(self, version: VersionStamp, scope: CommitmentScope) -> Freshness:
        """Is a commitment with this stamp and scope newer than the one applied?

        Equal stamps are a DUPLICATE, except that a line-level commitment replaces a header-level one
        of the same document.
        """
        if self.commitment_version is None:
            return Freshness.NEWER
        if version.is_newer_than(self.commitment_version):
            return Freshness.NEWER
        if self.commitment_version.is_newer_than(version):
            return Freshness.OLDER
        if scope is CommitmentScope.LINE and self.commitment_scope is CommitmentScope.HEADER:
            return Freshness.NEWER
        return Freshness.DUPLICATE


def requested_date_of(line: PurchaseOrderLine) -> dt.date | None:
    """The line's requested date, else the latest date of its schedule, else None."""
    if line.requested_date is not None:
        return line.requested_date
    dates = [s.date for s in line.schedule if s.date is not None]
    return max(dates) if dates else None


class _Ordered(TypedDict):
    ordered_quantity: Decimal
    unit: str
    unit_price: Decimal | None
    requested_date: dt.date | None
    cancelled: bool


def _ordered_fields(line: PurchaseOrderLine) -> _Ordered:
    return _Ordered(
        ordered_quantity=line.quantity,
        unit=line.unit,
        unit_price=line.unit_price,
        requested_date=requested_date_of(line),
        cancelled=line.cancelled,
    )


class PurchaseOrderState(BaseModel):
    """A PO as the ERP has it now, with the ledgers of its lines (missing ones start fresh)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    po: PurchaseOrder
    ledgers: dict[str, LineLedger] = Field(default_factory=dict)

    @classmethod
    def fresh(cls, po: PurchaseOrder) -> PurchaseOrderState:
        return cls(po=po)

    def ledger(self, line: PurchaseOrderLine) -> LineLedger:
        """The line's ledger synced with the current PO line, or a fresh one."""
        existing = self.ledgers.get(line.line_number)
        if existing is None:
            return LineLedger.for_line(self.po.po_number, line)
        return existing.synced_with(line)

    def with_ledgers(self, updates: dict[str, LineLedger]) -> PurchaseOrderState:
        """This state with some ledgers replaced (what the pipeline does after storing them)."""
        return self.model_copy(update={"ledgers": {**self.ledgers, **updates}})
