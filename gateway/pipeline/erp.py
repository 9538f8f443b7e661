"""ERP import: purchase orders and production orders (with component requirements) as JSON.

The file holds `{"purchase_orders": [...], "production_orders": [...]}` in the canonical shape.
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


class ErpFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purchase_orders: list[canonical.PurchaseOrder] = []
    production_orders: list[canonical.ProductionOrder] = []


@dataclass
class ImportReport:
    purchase_orders: list[str] = field(default_factory=list)
    production_orders: list[str] = field(default_factory=list)
    sent: list[tuple[str, str, str | None]] = field(default_factory=list)  # (po, partner, path)


def parse(data: bytes | str) -> ErpFile:
    raw: Any = json.loads(data)
    return ErpFile.model_validate(raw)


def import_erp(session: Session, rt: Runtime, erp: ErpFile, *, send: bool) -> ImportReport:
    """Store the orders; with `send`, write an 850 per purchase order to its supplier."""
    report = ImportReport()
    orders = PurchaseOrderRepository(session)
    now = rt.clock.now()
    applier = Applier(session, correlation_id=f"erp-import:{now.isoformat()}", now=now)
    for po in erp.purchase_orders:
        rt.partners.get(po.partner_id)  # an order for a partner we do not know is refused
        orders.upsert(po, at=now)
        applier.emit(EventType.PURCHASE_ORDER_IMPORTED, po, partner_id=po.partner_id, document_id=None)
        report.purchase_orders.append(po.po_number)
    production = ProductionOrderRepository(session)
    for mo in erp.production_orders:
        production.upsert(mo, at=now)
        report.production_orders.append(mo.order_id)
    if send:
        for po in erp.purchase_orders:
            message = send_purchase_order(session, rt, po)
            applier.emit(EventType.PURCHASE_ORDER_SENT, po, partner_id=po.partner_id, document_id=None)
            report.sent.append((po.po_number, po.partner_id, message.path))
    return report
