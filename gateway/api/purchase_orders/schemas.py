"""Purchase orders as the API shows them: a header for lists, header and line ledgers for one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel

from gateway import canonical
from gateway.correlation.ledger import LineLedger
from gateway.store import models as db


class PurchaseOrderSummaryRead(BaseModel):
    partner_id: str
    po_number: str
    revision: int
    plant: str | None
    currency: str
    order_date: dt.date
    status: db.PurchaseOrderStatus
    sent_at: dt.datetime | None
    updated_at: dt.datetime

    @classmethod
    def of(cls, row: db.PurchaseOrder) -> PurchaseOrderSummaryRead:
        return cls(
            partner_id=row.partner_id,
            po_number=row.po_number,
            revision=row.revision,
            plant=row.plant,
            currency=row.currency,
            order_date=row.order_on,
            status=row.status,
            sent_at=row.sent_at,
            updated_at=row.updated_at,
        )


class PurchaseOrderListRead(BaseModel):
    items: list[PurchaseOrderSummaryRead]
    limit: int
    offset: int
    next_offset: int | None


class CommittedSplitRead(BaseModel):
    """One split of the supplier's newest commitment, in the PO line's unit."""

    quantity: Decimal
    unit: str
    date: dt.date | None
    date_kind: Literal["delivery", "ship"]


class PurchaseOrderLineRead(BaseModel):
    """What was ordered, and what the supplier said and did about it. Quantities are in the PO
    line's unit; `open_quantity` is ordered minus shipped, never below zero. `committed_schedule` lists
    the newest commitment's splits (empty when it stated none); `committed_date` is the latest."""

    line_number: str
    buyer_item: str
    supplier_item: str | None
    quantity: Decimal
    unit: str
    unit_price: Decimal | None
    requested_date: dt.date | None
    cancelled: bool
    ack_status: str | None
    committed_quantity: Decimal | None
    committed_date: dt.date | None
    committed_price: Decimal | None
    committed_schedule: list[CommittedSplitRead]
    shipped_quantity: Decimal
    received_quantity: Decimal
    open_quantity: Decimal

    @classmethod
    def of(cls, line: db.PurchaseOrderLine) -> PurchaseOrderLineRead:
        return cls(
            line_number=line.line_number,
            buyer_item=line.buyer_item,
            supplier_item=line.supplier_item,
            quantity=line.quantity,
            unit=line.unit,
            unit_price=line.unit_price,
            requested_date=line.requested_on,
            cancelled=line.cancelled,
            ack_status=line.ack_status,
            committed_quantity=line.committed_quantity,
            committed_date=line.committed_on,
            committed_price=line.committed_price,
            committed_schedule=[
                CommittedSplitRead(quantity=s.quantity, unit=s.unit, date=s.date, date_kind=s.date_kind)
                for s in _ledger_schedule(line)
            ],
            shipped_quantity=line.shipped_quantity,
            received_quantity=line.received_quantity,
            open_quantity=max(line.quantity - line.shipped_quantity, Decimal(0)),
        )


def is_open(line: db.PurchaseOrderLine) -> bool:
    """Still to be shipped: not cancelled, and less shipped than ordered."""
    return not line.cancelled and line.shipped_quantity < line.quantity


def _ledger_schedule(line: db.PurchaseOrderLine) -> tuple[canonical.ScheduleLine, ...]:
    return LineLedger.model_validate(line.ledger).committed_schedule if line.ledger is not None else ()


class PurchaseOrderRead(PurchaseOrderSummaryRead):
    lines: list[PurchaseOrderLineRead]
