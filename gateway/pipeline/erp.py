"""ERP import: purchase orders, production orders (with component requirements), goods receipts and
on-hand stock as JSON.

The file holds `{"purchase_orders": [...], "production_orders": [...], "goods_receipts": [...],
"stock": [...]}` in the canonical shape (every key optional). A goods receipt sets its PO line's
received quantity (idempotent by receipt id); a stock entry replaces the snapshot of its item and
plant. Every (item, plant) whose supply or demand changed is re-pegged.
The ERP is the source of order identity: importing a PO again updates it (a new revision), it
never touches what suppliers committed or shipped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from gateway import canonical
from gateway.canonical import EventType
from gateway.pipeline.correlate import Applier
from gateway.pipeline.outbound import send_purchase_order
from gateway.pipeline.runtime import Runtime
from gateway.store.repositories.erp import ProductionOrderRepository, PurchaseOrderRepository
from gateway.store.repositories.stock import StockRepository


class ErpFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purchase_orders: list[canonical.PurchaseOrder] = []
    production_orders: list[canonical.ProductionOrder] = []
    goods_receipts: list[canonical.GoodsReceipt] = []
    stock: list[canonical.StockLevel] = []


@dataclass
class ImportReport:
    purchase_orders: list[str] = field(default_factory=list)
    production_orders: list[str] = field(default_factory=list)
    goods_receipts: list[str] = field(default_factory=list)
    unmatched_receipts: list[str] = field(default_factory=list)  # receipt ids naming no known PO line
    stock: int = 0
    sent: list[tuple[str, str, str | None]] = field(default_factory=list)  # (po, partner, path)


def parse(data: bytes | str) -> ErpFile:
    raw: Any = json.loads(data)
    return ErpFile.model_validate(raw)


def import_erp(session: Session, rt: Runtime, erp: ErpFile, *, send: bool) -> ImportReport:
    """Store the orders; with `send`, write an 850 per purchase order to its supplier."""
    report = ImportReport()
    orders = PurchaseOrderRepository(session)
    now = rt.clock.now()
    applier = Applier(session, correlation_id=f"erp-import:{now.isoformat()}", now=now, partners=rt.partners)
    touched: set[tuple[str, str]] = set()  # (item, plant) whose supply or demand changed
    for po in erp.purchase_orders:
        rt.partners.get(po.partner_id)  # an order for a partner we do not know is refused
        before = orders.get(po.po_number, partner_id=po.partner_id)
        if before is not None and before.plant is not None:
            touched |= {(line.buyer_item, before.plant) for line in before.lines}
        orders.upsert(po, at=now)
        if po.plant is not None:
            touched |= {(line.buyer_item, po.plant) for line in po.lines}
        applier.emit(EventType.PURCHASE_ORDER_IMPORTED, po, partner_id=po.partner_id, document_id=None)
        report.purchase_orders.append(po.po_number)
    production = ProductionOrderRepository(session)
    for mo in erp.production_orders:
        previous = production.get(mo.order_id)
        if previous is not None:
            touched |= {(c.item, c.plant) for c in previous.components}
        production.upsert(mo, at=now)
        touched |= {(c.item, mo.plant) for c in mo.components}
        report.production_orders.append(mo.order_id)
    stock = StockRepository(session)
    for level in erp.stock:
        stock.upsert(level, at=now)
        touched.add((level.item, level.plant))
        report.stock += 1
    applier.repeg(touched, None)
    for gr in erp.goods_receipts:
        matched = applier.goods_receipt(gr)
        report.goods_receipts.append(gr.receipt_id)
        if not matched:
            report.unmatched_receipts.append(gr.receipt_id)
    if send:
        for po in erp.purchase_orders:
            message = send_purchase_order(session, rt, po)
            applier.emit(EventType.PURCHASE_ORDER_SENT, po, partner_id=po.partner_id, document_id=None)
            report.sent.append((po.po_number, po.partner_id, message.path))
    return report
