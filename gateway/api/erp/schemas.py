"""What the ERP posts: purchase orders, production orders, goods receipts and stock levels, in the
canonical shape (`samples/erp/orders.json`), with the limits the store keeps (key lengths, quantity
and money precision). `to_canonical()` gives the canonical model the pipeline takes."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from gateway import canonical
from gateway.api.params import KEY_PATTERN, IsoDate

Key = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=KEY_PATTERN)]
LineNumber = Annotated[str, StringConstraints(min_length=1, max_length=16, pattern=KEY_PATTERN)]
Plant = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=KEY_PATTERN)]
Unit = Annotated[str, StringConstraints(min_length=1, max_length=8, pattern=KEY_PATTERN)]
Currency = Annotated[str, StringConstraints(min_length=3, max_length=3, pattern=r"^[A-Z]{3}$")]
Text = Annotated[str, StringConstraints(max_length=256)]
Quantity = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=4)]
Money = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=6)]
Revision = Annotated[int, Field(ge=0, le=2**31 - 1)]


class _Create(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScheduleLineCreate(_Create):
    quantity: Quantity
    unit: Unit
    date: IsoDate | None = None
    date_kind: Literal["delivery", "ship"] = "delivery"


class PurchaseOrderLineCreate(_Create):
    line_number: LineNumber
    buyer_item: Key
    supplier_item: Key | None = None
    description: Text | None = None
    quantity: Quantity
    unit: Unit
    unit_price: Money | None = None
    requested_date: IsoDate | None = None
    schedule: list[ScheduleLineCreate] = []
    cancelled: bool = False


class PurchaseOrderCreate(_Create):
    """A purchase order, or a newer revision of one (a higher `revision` replaces it)."""

    po_number: Key
    revision: Revision = 0
    partner_id: Key
    plant: Plant | None = None
    currency: Currency = "USD"
    order_date: IsoDate
    buyer_name: Text | None = None
    buyer_contact: Text | None = None
    ship_to: Key | None = None
    ship_to_name: Text | None = None
    lines: list[PurchaseOrderLineCreate] = Field(min_length=1, max_length=999)

    def to_canonical(self) -> canonical.PurchaseOrder:
        return canonical.PurchaseOrder.model_validate(self.model_dump())


class ComponentRequirementCreate(_Create):
    item: Key
    quantity: Quantity
    unit: Unit
    need_date: IsoDate


class ProductionOrderCreate(_Create):
    order_id: Key
    plant: Plant
    item: Key | None = None
    start_date: IsoDate
    components: list[ComponentRequirementCreate] = Field(max_length=999)

    def to_canonical(self) -> canonical.ProductionOrder:
        return canonical.ProductionOrder.model_validate(self.model_dump())


class GoodsReceiptCreate(_Create):
    """Goods booked in against a PO line; the same `receipt_id` again replaces its figures."""

    receipt_id: Key
    partner_id: Key | None = None
    po_number: Key
    line_number: LineNumber
    quantity: Quantity
    unit: Unit
    received_on: IsoDate

    def to_canonical(self) -> canonical.GoodsReceipt:
        return canonical.GoodsReceipt.model_validate(self.model_dump())


class StockLevelCreate(_Create):
    """On-hand stock of an item at a plant: a snapshot that replaces the previous one."""

    item: Key
    plant: Plant
    quantity: Quantity
    unit: Unit

    def to_canonical(self) -> canonical.StockLevel:
        return canonical.StockLevel.model_validate(self.model_dump())


class SentMessageRead(BaseModel):
    po_number: str
    partner_id: str
    kind: str  # "850" or "860"
    path: str | None


class ImportSummaryRead(BaseModel):
    """What the import did (the fields of `gateway erp import --json`)."""

    purchase_orders: list[str]
    revised: list[str]
    stale: list[str]
    production_orders: list[str]
    goods_receipts: list[str]
    unmatched_receipts: list[str]
    stock: int
    sent: list[SentMessageRead]
