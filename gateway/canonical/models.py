"""Canonical entities: what the ERP orders and needs, and what suppliers commit and ship.

Frozen pydantic models with `extra="forbid"`. Quantities and money are `Decimal`; datetimes are
timezone-aware; plain dates are `date`. Units are UN/ECE-style codes as the partner sent them
(`EA`, `CA`, ...), converted through the partner's conversions before any comparison.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class CanonicalModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class VersionStamp(CanonicalModel):
    """Orders updates about the same thing: newer wins, an older one arriving late is stale.

    `issued_at` comes from the document (855 BAK04 + GS time, 856 BSN03/BSN04, cXML noticeDate);
    `sequence` breaks ties (interchange control number, cXML version, portal sequence).
    """

    issued_at: AwareDatetime
    sequence: int = 0
    source: str = ""  # e.g. "x12:855:ISA13=000000042"

    def key(self) -> tuple[dt.datetime, int]:
        return (self.issued_at, self.sequence)

    def is_newer_than(self, other: VersionStamp) -> bool:
        return self.key() > other.key()


# ---------------------------------------------------------------- ERP side


class ScheduleLine(CanonicalModel):
    """A quantity due on a date (a PO schedule line, or one committed split of a line)."""

    quantity: Decimal
    unit: str
    date: dt.date | None = None
    date_kind: Literal["delivery", "ship"] = "delivery"


class PurchaseOrderLine(CanonicalModel):
    line_number: str
    buyer_item: str
    supplier_item: str | None = None
    description: str | None = None
    quantity: Decimal
    unit: str
    unit_price: Decimal | None = None
    requested_date: dt.date | None = None
    schedule: tuple[ScheduleLine, ...] = ()
    cancelled: bool = False


class PurchaseOrder(CanonicalModel):
    po_number: str
    revision: int = 0
    partner_id: str
    plant: str | None = None
    currency: str = "USD"
    order_date: dt.date
    buyer_name: str | None = None
    buyer_contact: str | None = None
    ship_to: str | None = None
    ship_to_name: str | None = None
    lines: tuple[PurchaseOrderLine, ...]

    def line(self, line_number: str) -> PurchaseOrderLine | None:
        return next((ln for ln in self.lines if ln.line_number == line_number), None)


class ComponentRequirement(CanonicalModel):
    item: str
    quantity: Decimal
    unit: str
    need_date: dt.date


class ProductionOrder(CanonicalModel):
    order_id: str
    plant: str
    item: str | None = None
    start_date: dt.date
    components: tuple[ComponentRequirement, ...]


class GoodsReceipt(CanonicalModel):
    """Goods the ERP booked in against a PO line; `receipt_id` is the ERP's (the idempotency key:
    the same receipt imported again replaces its figures, never adds to them)."""

    receipt_id: str
    partner_id: str | None = None  # needed only when two partners use the same PO number
    po_number: str
    line_number: str
    quantity: Decimal
    unit: str
    received_on: dt.date


class StockLevel(CanonicalModel):
    """On-hand stock of an item at a plant as the ERP last reported it (a snapshot, not a delta)."""

    item: str
    plant: str
    quantity: Decimal
    unit: str


# ---------------------------------------------------------------- commitments (855, ORDRSP, cXML, API)


class CommitmentStatus(StrEnum):
    ACCEPTED = "accepted"
    ACCEPTED_WITH_CHANGES = "accepted_with_changes"
    REJECTED = "rejected"
    BACKORDERED = "backordered"
    PENDING = "pending"


class LineAction(StrEnum):
    """The normalised line status (X12 668 grouped as EDI_REFERENCE.md describes)."""

    ACCEPT = "accept"
    ACCEPT_SCHEDULE = "accept_schedule"
    REJECT = "reject"
    CHANGE = "change"
    PRICE_CHANGE = "price_change"
    SUBSTITUTION = "substitution"
    HOLD = "hold"
    QTY_CHANGE = "qty_change"
    BACKORDER = "backorder"
    RESCHEDULE = "reschedule"
    PARTIAL_BACKORDER = "partial_backorder"
    DELETE = "delete"


class CommitmentLine(CanonicalModel):
    """One committed schedule split of a PO line (an 855 ACK, a cXML ConfirmationStatus)."""

    action: LineAction
    status_code: str  # the code as sent (668, 1229, cXML type)
    quantity: Decimal | None = None
    unit: str | None = None
    date: dt.date | None = None
    date_kind: Literal["delivery", "ship"] = "delivery"


class Commitment(CanonicalModel):
    """What a supplier commits for one PO line, or for the whole order when `line_number` is None."""

    type: Literal["commitment"] = "commitment"
    partner_id: str
    document_id: str
    occurred_at: AwareDatetime
    po_number: str
    line_number: str | None = None
    status: CommitmentStatus
    quantity: Decimal | None = None  # total committed (sum of accepted schedule lines)
    unit: str | None = None
    committed_date: dt.date | None = None  # latest committed date over the schedule
    unit_price: Decimal | None = None
    currency: str | None = None
    buyer_item: str | None = None
    supplier_item: str | None = None
    schedule: tuple[CommitmentLine, ...] = ()
    ack_type: str | None = None  # BAK02 / BGM 1225 / ConfirmationHeader@type as sent
    purpose: str | None = None  # BAK01 / BGM 1225
    supplier_reference: str | None = None
    version: VersionStamp


# ---------------------------------------------------------------- shipments (856, DESADV, cXML, API)


class ShipmentPurpose(StrEnum):
    ORIGINAL = "original"
    REPLACE = "replace"
    DELETE = "delete"


class Package(CanonicalModel):
    sscc: str | None = None
    level: str  # "tare" (pallet) or "pack" (carton) or as sent
    parent_sscc: str | None = None
    quantity: int = 1


class ShipmentLine(CanonicalModel):
    po_number: str
    line_number: str | None = None
    buyer_item: str | None = None
    supplier_item: str | None = None
    upc: str | None = None
    quantity: Decimal
    unit: str
    lot: str | None = None
    serials: tuple[str, ...] = ()
    sscc: str | None = None  # the innermost package the line is packed in


class Shipment(CanonicalModel):
    type: Literal["shipment"] = "shipment"
    partner_id: str
    document_id: str
    occurred_at: AwareDatetime
    shipment_id: str
    purpose: ShipmentPurpose = ShipmentPurpose.ORIGINAL
    ship_date: dt.date | None = None
    expected_delivery: dt.date | None = None
    carrier: str | None = None  # SCAC
    tracking_number: str | None = None
    bill_of_lading: str | None = None
    ship_from: str | None = None
    ship_to: str | None = None
    gross_weight: Decimal | None = None
    weight_unit: str | None = None
    packages: tuple[Package, ...] = ()
    lines: tuple[ShipmentLine, ...]
    # Orders the notice says shipped complete without listing their items (a cXML
    # ShipNoticePortion without ShipNoticeItem): intake adds their open lines from the stored PO.
    # Left out of the serialised event when empty, so ship notices that list their items read as before.
    complete_orders: tuple[str, ...] = Field(default=(), exclude_if=lambda v: not v)
    version: VersionStamp


# ---------------------------------------------------------------- functional acks (997 in, CONTRL in)


class AckStatus(StrEnum):
    ACCEPTED = "accepted"
    ACCEPTED_WITH_ERRORS = "accepted_with_errors"
    PARTIALLY_ACCEPTED = "partially_accepted"
    REJECTED = "rejected"


class FunctionalAckSet(CanonicalModel):
    set_id: str  # AK201
    control_number: str  # AK202
    status: AckStatus
    errors: tuple[str, ...] = ()  # readable: "AK3 PO1 at 7: 8; AK4 2: 1"


class FunctionalAck(CanonicalModel):
    """A partner's acknowledgement of one of our groups (997 AK1..AK9)."""

    type: Literal["functional_ack"] = "functional_ack"
    partner_id: str
    document_id: str
    occurred_at: AwareDatetime
    functional_id: str  # AK101
    group_control_number: str  # AK102
    status: AckStatus  # AK901
    sets: tuple[FunctionalAckSet, ...] = ()
    sets_included: int | None = None  # AK902
    sets_received: int | None = None  # AK903
    sets_accepted: int | None = None  # AK904
