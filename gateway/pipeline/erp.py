"""ERP import: purchase orders, production orders (with component requirements), goods receipts and
on-hand stock as JSON.

The file holds `{"purchase_orders": [...], "production_orders": [...], "goods_receipts": [...],
"stock": [...]}` in the canonical shape (every key optional). A goods receipt sets its PO line's
received quantity (idempotent by receipt id); a stock entry replaces the snapshot of its item and
plant. Every (item, plant) whose supply or demand changed is re-pegged.
The ERP is the source of order identity: importing a PO with a higher `revision` updates it (lines
replaced, cancelled when missing or `cancelled`, quantities, prices and dates changed), emits
`purchase_order.revised` and, with `send`, tells the partner (an 860, or a new 850 per its config;
an order it never got goes out whole as an 850). An older or equal revision changes nothing: it is
recorded (`purchase_order.stale`, `ImportReport.stale`) and nothing is sent. A revision never
touches what suppliers committed or shipped.
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
from gateway.pipeline.outbound import send_purchase_order, send_purchase_order_change
from gateway.pipeline.runtime import Runtime
from gateway.store import models as db
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
    revised: list[str] = field(default_factory=list)  # PO numbers imported as a newer revision
    stale: list[str] = field(default_factory=list)  # PO numbers whose revision was not newer: ignored
    production_orders: list[str] = field(default_factory=list)
    goods_receipts: list[str] = field(default_factory=list)
    unmatched_receipts: list[str] = field(default_factory=list)  # receipt ids naming no known PO line
    stock: int = 0
    sent: list[tuple[str, str, str | None]] = field(default_factory=list)  # (po, partner, path)
    sent_kinds: list[str] = field(default_factory=list)  # "850" or "860", in the order of `sent`


def parse(data: bytes | str) -> ErpFile:
    raw: Any = json.loads(data)
    return ErpFile.model_validate(raw)


def import_erp(session: Session, rt: Runtime, erp: ErpFile, *, send: bool) -> ImportReport:
    """Store the orders; with `send`, write an 850 per new purchase order to its supplier, and an 860
    (or 850) per revision of one already sent."""
    report = ImportReport()
    orders = PurchaseOrderRepository(session)
    now = rt.clock.now()
    applier = Applier(session, correlation_id=f"erp-import:{now.isoformat()}", now=now, partners=rt.partners)
    touched: set[tuple[str, str]] = set()  # (item, plant) whose supply or demand changed
    to_send: list[tuple[canonical.PurchaseOrder, canonical.PurchaseOrder | None]] = []  # (new, as sent)
    for po in erp.purchase_orders:
        rt.partners.get(po.partner_id)  # an order for a partner we do not know is refused
        before = orders.get(po.po_number, partner_id=po.partner_id)
        if before is not None and po.revision <= before.revision:
            applier.emit(EventType.PURCHASE_ORDER_STALE, po, partner_id=po.partner_id, document_id=None)
            report.stale.append(po.po_number)
            continue
        prior = orders.canonical(before) if before is not None else None
        sent_before = before is not None and before.sent_at is not None
        if before is not None and before.plant is not None:
            touched |= {(line.buyer_item, before.plant) for line in before.lines}
        orders.upsert(po, at=now)
        if po.plant is not None:
            touched |= {(line.buyer_item, po.plant) for line in po.lines}
        if prior is None:
            applier.emit(EventType.PURCHASE_ORDER_IMPORTED, po, partner_id=po.partner_id, document_id=None)
        else:
            applier.emit(EventType.PURCHASE_ORDER_REVISED, po, partner_id=po.partner_id, document_id=None)
            report.revised.append(po.po_number)
        report.purchase_orders.append(po.po_number)
        to_send.append((po, prior if sent_before else None))
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
        for po, as_sent in to_send:
            if as_sent is None:
                message: db.OutboundMessage | None = send_purchase_order(session, rt, po)
            else:
                message = send_purchase_order_change(session, rt, as_sent, po)
            if message is None:  # a revision that changes no line: nothing to tell the partner
                continue
            applier.emit(EventType.PURCHASE_ORDER_SENT, po, partner_id=po.partner_id, document_id=None)
            report.sent.append((po.po_number, po.partner_id, message.path))
            report.sent_kinds.append(message.kind)
    return report
