"""Purchase orders as the API shows them: a header for lists, header and line ledgers for one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel

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


class PurchaseOrderRead(PurchaseOrderSummaryRead):
    lines: list[PurchaseOrderLineRead]
