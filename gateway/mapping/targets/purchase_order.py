"""A PurchaseOrder from an X12 850 (004010/005010), for ERPs that emit their orders as EDI.

The partner id comes from the context (the ERP feed), not from the document. Lines are PO1 loops
with their PID description, DTM*002 requested date and SCH schedule lines.
"""

from __future__ import annotations

from gateway.canonical import models as canonical
from gateway.mapping.targets.common import Build

TABLES = {"date_kind": frozenset({"delivery", "ship"})}
FIELDS = ("po_number", "order_date")


def build(b: Build) -> list[canonical.PurchaseOrder]:
    root = b.root
    po_number, order_date = root.text("po_number"), root.day("order_date")
    if po_number is None or order_date is None:
        b.fail(None, "850 without a PO number or an order date: no order recorded")
        return []
    lines = []
    for line in root.children("line"):
        number, item = line.text("line_number"), line.text("buyer_item")
        quantity, unit = line.decimal("quantity"), line.text("unit")
        if number is None or item is None or quantity is None or unit is None:
            b.fail(line, "PO1 without line number, buyer item, quantity or unit: line skipped")
            continue
        schedule = tuple(
            canonical.ScheduleLine(
                quantity=q,
                unit=s.text("unit") or unit,
                date=s.day("date"),
                date_kind="ship" if s.text("date_kind") == "ship" else "delivery",
            )
            for s in line.children("schedule")
            if (q := s.decimal("quantity")) is not None
        )
        lines.append(
            canonical.PurchaseOrderLine(
                line_number=number,
                buyer_item=item,
                supplier_item=line.text("supplier_item"),
                description=line.text("description"),
                quantity=quantity,
                unit=unit,
                unit_price=line.decimal("unit_price"),
                requested_date=line.day("requested_date"),
                schedule=schedule,
            )
        )
    return [
        canonical.PurchaseOrder(
            po_number=po_number,
            revision=root.integer("revision") or 0,
            partner_id=b.ctx.partner_id,
            plant=root.text("plant"),
            currency=root.text("currency") or "USD",
            order_date=order_date,
            buyer_name=root.text("buyer_name"),
            buyer_contact=root.text("buyer_contact"),
            ship_to=root.text("ship_to"),
            ship_to_name=root.text("ship_to_name"),
            lines=tuple(lines),
        )
    ]
