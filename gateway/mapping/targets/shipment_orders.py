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

from datetime import date, datetime
from decimal import Decimal
from typing import Final

from gateway.canonical import models as canonical
from gateway.mapping.engine import Record
from gateway.mapping.targets import json_lines
from gateway.mapping.targets.common import Build, Draft

TABLES = {"purpose": frozenset(canonical.ShipmentPurpose)}
FIELDS = ("shipment_id", "occurred_at")

_PURPOSES: Final = {p.value: p for p in canonical.ShipmentPurpose}
_ORIGINAL: Final = canonical.ShipmentPurpose.ORIGINAL
_DELETE: Final = canonical.ShipmentPurpose.DELETE


def build(b: Build) -> list[canonical.Shipment]:
    return [canonical.Shipment.model_validate(d) for d in draft(b)]


def draft(b: Build) -> list[Draft]:
    """The shipment as a draft: `canonical.Shipment`'s fields, in its order (see `common.Draft`)."""
    notice = _read(b)
    return [] if notice is None else [_draft(notice)]


def write(b: Build) -> list[str]:
    """The shipment as JSON text: exactly `pydantic_core.to_json(d)` for the draft `d` of
    `draft(b)` (the model's `model_dump_json()`), without the draft (as `shipment.write`)."""
    notice = _read(b)
    return [] if notice is None else [_json(notice)]


# Plain classes with written-out constructors: native in a compiled build.
class _Line:
    def __init__(
        self,
        po_number: str,
        line_number: str | None,
        buyer_item: str | None,
        supplier_item: str | None,
        upc: str | None,
        quantity: Decimal,
        unit: str,
        lot: str | None,
        serials: tuple[str, ...],
        sscc: str | None,
    ) -> None:
        self.po_number = po_number
        self.line_number = line_number
        self.buyer_item = buyer_item
        self.supplier_item = supplier_item
        self.upc = upc
        self.quantity = quantity
        self.unit = unit
        self.lot = lot
        self.serials = serials
        self.sscc = sscc


class _Package:
    def __init__(self, sscc: str | None, level: str, parent_sscc: str | None, quantity: int) -> None:
        self.sscc = sscc
        self.level = level
        self.parent_sscc = parent_sscc
        self.quantity = quantity


class _Notice:
    def __init__(
        self,
        b: Build,
        root: Record,
        shipment_id: str,
        occurred_at: datetime,
        purpose: canonical.ShipmentPurpose,
    ) -> None:
        self.partner_id = b.ctx.partner_id
        self.document_id = b.ctx.document_id
        self.occurred_at = occurred_at
        self.shipment_id = shipment_id
        self.purpose = purpose
        self.ship_date: date | None = root.day("ship_date")
        self.expected_delivery: date | None = root.day("expected_delivery")
        self.carrier = root.text("carrier")
        self.tracking_number = root.text("tracking_number")
        self.bill_of_lading = root.text("bill_of_lading")
        self.ship_from = root.text("ship_from")
        self.ship_to = root.text("ship_to")
        weight = root.decimal("gross_weight")
        self.gross_weight = weight
        self.weight_unit = root.text("weight_unit") if weight is not None else None
        self.packages: list[_Package] = _packages(root.children("package"))
        self.lines: list[_Line] = []
        self.complete: list[str] = []  # left out of the JSON while empty
        self.version = b.stamp_draft(occurred_at)


def _read(b: Build) -> _Notice | None:
    """The notice's shipment (None when it has no id or date: reported)."""
    root = b.root
    shipment_id = root.text("shipment_id")
    occurred_at = b.occurred_at(root)
    if shipment_id is None or occurred_at is None:
        b.fail(None, "ship notice without a shipment id or a date: no shipment recorded")
        return None
    purpose = _PURPOSES.get(root.text("purpose") or "original", _ORIGINAL)
    notice = _Notice(b, root, shipment_id, occurred_at, purpose)
    lines: list[_Line] = []
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
    deleted = purpose is _DELETE
    notice.lines = [] if deleted else lines
    notice.complete = [] if deleted else complete
    return notice


def _draft(n: _Notice) -> Draft:
    shipment: Draft = {
        "type": "shipment",
        "partner_id": n.partner_id,
        "document_id": n.document_id,
        "occurred_at": n.occurred_at,
        "shipment_id": n.shipment_id,
        "purpose": n.purpose,
        "ship_date": n.ship_date,
        "expected_delivery": n.expected_delivery,
        "carrier": n.carrier,
        "tracking_number": n.tracking_number,
        "bill_of_lading": n.bill_of_lading,
        "ship_from": n.ship_from,
        "ship_to": n.ship_to,
        "gross_weight": n.gross_weight,
        "weight_unit": n.weight_unit,
        "packages": tuple(
            {"sscc": p.sscc, "level": p.level, "parent_sscc": p.parent_sscc, "quantity": p.quantity}
            for p in n.packages
        ),
        "lines": tuple(
            {
                "po_number": i.po_number,
                "line_number": i.line_number,
                "buyer_item": i.buyer_item,
                "supplier_item": i.supplier_item,
                "upc": i.upc,
                "quantity": i.quantity,
                "unit": i.unit,
                "lot": i.lot,
                "serials": i.serials,
                "sscc": i.sscc,
            }
            for i in n.lines
        ),
    }
    if n.complete:
        shipment["complete_orders"] = tuple(n.complete)
    shipment["version"] = n.version
    return shipment


def _json(n: _Notice) -> str:
    """`_draft` as `pydantic_core.to_json` writes it (f-strings: one str built per piece)."""
    packages = ",".join(
        [
            f'{{"sscc":{json_lines.text(p.sscc)},"level":{json_lines.quoted(p.level)}'
            f',"parent_sscc":{json_lines.text(p.parent_sscc)},"quantity":{p.quantity}}}'
            for p in n.packages
        ]
    )
    lines = ",".join(
        [
            f'{{"po_number":{json_lines.quoted(i.po_number)}'
            f',"line_number":{json_lines.text(i.line_number)}'
            f',"buyer_item":{json_lines.text(i.buyer_item)}'
            f',"supplier_item":{json_lines.text(i.supplier_item)}'
            f',"upc":{json_lines.text(i.upc)},"quantity":{json_lines.number(i.quantity)}'
            f',"unit":{json_lines.quoted(i.unit)},"lot":{json_lines.text(i.lot)}'
            f',"serials":[{",".join([json_lines.quoted(s) for s in i.serials])}]'
            f',"sscc":{json_lines.text(i.sscc)}}}'
            for i in n.lines
        ]
    )
    complete = (
        f',"complete_orders":[{",".join([json_lines.quoted(c) for c in n.complete])}]' if n.complete else ""
    )
    version = n.version
    seq, source = version["sequence"], version["source"]
    assert isinstance(seq, int)
    assert isinstance(source, str)
    return (
        f'{{"type":"shipment","partner_id":{json_lines.quoted(n.partner_id)}'
        f',"document_id":{json_lines.quoted(n.document_id)}'
        f',"occurred_at":{json_lines.moment(n.occurred_at)}'
        f',"shipment_id":{json_lines.quoted(n.shipment_id)},"purpose":{json_lines.quoted(n.purpose)}'
        f',"ship_date":{json_lines.day(n.ship_date)}'
        f',"expected_delivery":{json_lines.day(n.expected_delivery)}'
        f',"carrier":{json_lines.text(n.carrier)}'
        f',"tracking_number":{json_lines.text(n.tracking_number)}'
        f',"bill_of_lading":{json_lines.text(n.bill_of_lading)}'
        f',"ship_from":{json_lines.text(n.ship_from)},"ship_to":{json_lines.text(n.ship_to)}'
        f',"gross_weight":{json_lines.number(n.gross_weight)}'
        f',"weight_unit":{json_lines.text(n.weight_unit)}'
        f',"packages":[{packages}],"lines":[{lines}]{complete}'
        f',"version":{{"issued_at":{json_lines.moment(n.occurred_at)},"sequence":{seq}'
        f',"source":{json_lines.quoted(source)}}}}}'
    )


def _packages(records: list[Record]) -> list[_Package]:
    """The packages, each with the SSCC of the package its `parent` id names (when it has one)."""
    sscc_of = {pid: p.text("sscc") for p in records if (pid := p.text("id")) is not None}
    return [
        _Package(
            p.text("sscc"),
            p.text("level") or "pack",
            sscc_of.get(parent) if (parent := p.text("parent")) is not None else None,
            p.integer("quantity") or 1,
        )
        for p in records
    ]


def _line(b: Build, item: Record, po_number: str | None) -> _Line | None:
    po = item.text("po_number") or po_number
    quantity, unit = item.decimal("quantity"), item.text("unit")
    if po is None or quantity is None or unit is None:
        b.fail(item, "shipped item without a PO number, quantity or unit: line skipped")
        return None
    return _Line(
        po,
        item.text("line_number"),
        item.text("buyer_item"),
        item.text("supplier_item"),
        item.text("upc"),
        quantity,
        unit,
        item.text("lot"),
        tuple(dict.fromkeys(item.texts("serials"))),
        item.text("sscc"),
    )
