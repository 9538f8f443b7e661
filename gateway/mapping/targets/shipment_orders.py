"""A Shipment from a ship notice that lists orders and their items (cXML ShipNoticeRequest, portal
and partner-API JSON), where X12's 856 has its HL tree.

Record shape (tree maps): header fields as for the 856 (`shipment_id`, `occurred_at`, `purpose`
through the `purpose` table, `ship_date`, `expected_delivery`, `carrier`, `tracking_number`, ...);
an `order` loop (`po_number`) with a `line` loop (`line_number`, `quantity`, `unit`, `buyer_item`,
`supplier_item`, `upc`, `lot`, `serials`, `sscc`); lines may also sit directly under the header
with their own `po_number`; a `package` loop (`sscc`, `level`, `quantity`, and for a packing tree
such as EDIFACT's CPS, the package's `id` and its `parent`'s id, from which `parent_sscc` is found).

An order without lines means the whole order shipped (cXML ShipNoticePortion without
ShipNoticeItem): its PO number goes into `complete_orders`, for intake to expand from the stored
order. A delete notice carries no lines.
"""

from __future__ import annotations

from gateway.canonical import models as canonical
from gateway.mapping.engine import Record
from gateway.mapping.targets.common import Build, Draft

TABLES = {"purpose": frozenset(canonical.ShipmentPurpose)}
FIELDS = ("shipment_id", "occurred_at")

_PURPOSES = {p.value: p for p in canonical.ShipmentPurpose}


def build(b: Build) -> list[canonical.Shipment]:
    return [canonical.Shipment.model_validate(d) for d in draft(b)]


def draft(b: Build) -> list[Draft]:
    """The shipment as a draft: `canonical.Shipment`'s fields, in its order (see `common.Draft`)."""
    root = b.root
    shipment_id = root.text("shipment_id")
    occurred_at = b.occurred_at(root)
    if shipment_id is None or occurred_at is None:
        b.fail(None, "ship notice without a shipment id or a date: no shipment recorded")
        return []
    purpose = _PURPOSES.get(root.text("purpose") or "original", canonical.ShipmentPurpose.ORIGINAL)
    lines: list[Draft] = []
    complete: list[str] = []
    for order in root.children("order"):
        po_number = order.text("po_number")
        if po_number is None:
            b.fail(order, "order without a PO number: its items are skipped")
            continue
        items = order.children("line")
        if not items:
            if po_number not in complete:
                complete.append(po_number)
            continue
        lines += [line for item in items if (line := _line(b, item, po_number)) is not None]
    lines += [line for item in root.children("line") if (line := _line(b, item, None)) is not None]
    weight = root.decimal("gross_weight")
    deleted = purpose is canonical.ShipmentPurpose.DELETE
    shipment: Draft = {
        "type": "shipment",
        "partner_id": b.ctx.partner_id,
        "document_id": b.ctx.document_id,
        "occurred_at": occurred_at,
        "shipment_id": shipment_id,
        "purpose": purpose,
        "ship_date": root.day("ship_date"),
        "expected_delivery": root.day("expected_delivery"),
        "carrier": root.text("carrier"),
        "tracking_number": root.text("tracking_number"),
        "bill_of_lading": root.text("bill_of_lading"),
        "ship_from": root.text("ship_from"),
        "ship_to": root.text("ship_to"),
        "gross_weight": weight,
        "weight_unit": root.text("weight_unit") if weight is not None else None,
        "packages": _packages(root.children("package")),
        "lines": () if deleted else tuple(lines),
    }
    if complete and not deleted:  # left out of the JSON while empty
        shipment["complete_orders"] = tuple(complete)
    shipment["version"] = b.stamp_draft(occurred_at)
    return [shipment]


def _packages(records: list[Record]) -> tuple[Draft, ...]:
    """The packages, each with the SSCC of the package its `parent` id names (when it has one)."""
    sscc_of = {pid: p.text("sscc") for p in records if (pid := p.text("id")) is not None}
    return tuple(
        {
            "sscc": p.text("sscc"),
            "level": p.text("level") or "pack",
            "parent_sscc": sscc_of.get(parent) if (parent := p.text("parent")) is not None else None,
            "quantity": p.integer("quantity") or 1,
        }
        for p in records
    )


def _line(b: Build, item: Record, po_number: str | None) -> Draft | None:
    po = item.text("po_number") or po_number
    quantity, unit = item.decimal("quantity"), item.text("unit")
    if po is None or quantity is None or unit is None:
        b.fail(item, "shipped item without a PO number, quantity or unit: line skipped")
        return None
    return {
        "po_number": po,
        "line_number": item.text("line_number"),
        "buyer_item": item.text("buyer_item"),
        "supplier_item": item.text("supplier_item"),
        "upc": item.text("upc"),
        "quantity": quantity,
        "unit": unit,
        "lot": item.text("lot"),
        "serials": tuple(dict.fromkeys(item.texts("serials"))),
        "sscc": item.text("sscc"),
    }
