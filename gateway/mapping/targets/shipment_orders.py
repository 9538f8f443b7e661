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

from datetime import datetime
from typing import Final

from gateway.canonical import models as canonical
from gateway.mapping.engine import Record
from gateway.mapping.targets import json_lines
from gateway.mapping.targets.common import Build, Draft
from gateway.mapping.targets.shipment import (
    Heading,
    Line,
    line_draft,
    line_json,
    shipment_draft,
    shipment_json,
    unique_serials,
)

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


# Plain classes with written-out constructors: native in a compiled build (lines: `shipment.Line`).
class _Package:
    def __init__(self, sscc: str | None, level: str, parent_sscc: str | None, quantity: int) -> None:
        self.sscc = sscc
        self.level = level
        self.parent_sscc = parent_sscc
        self.quantity = quantity


class _Notice(Heading):
    def __init__(
        self,
        b: Build,
        root: Record,
        shipment_id: str,
        occurred_at: datetime,
        purpose: canonical.ShipmentPurpose,
    ) -> None:
        super().__init__(b, shipment_id, occurred_at, purpose, (root,))
        self.packages: list[_Package] = _packages(root.children("package"))
        self.lines: list[Line] = []
        self.complete: list[str] = []


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
    lines: list[Line] = []
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
    packages: tuple[Draft, ...] = tuple(
        {"sscc": p.sscc, "level": p.level, "parent_sscc": p.parent_sscc, "quantity": p.quantity}
        for p in n.packages
    )
    return shipment_draft(n, packages, tuple(line_draft(i) for i in n.lines), tuple(n.complete))


def _json(n: _Notice) -> str:
    """`_draft` as `pydantic_core.to_json` writes it (f-strings: one str built per piece)."""
    packages = ",".join(
        [
            f'{{"sscc":{json_lines.text(p.sscc)},"level":{json_lines.quoted(p.level)}'
            f',"parent_sscc":{json_lines.text(p.parent_sscc)},"quantity":{p.quantity}}}'
            for p in n.packages
        ]
    )
    return shipment_json(n, packages, ",".join([line_json(i) for i in n.lines]), tuple(n.complete))


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


def _line(b: Build, item: Record, po_number: str | None) -> Line | None:
    po = item.text("po_number") or po_number
    quantity, unit = item.decimal("quantity"), item.text("unit")
    if po is None or quantity is None or unit is None:
        b.fail(item, "shipped item without a PO number, quantity or unit: line skipped")
        return None
    return Line(
        po,
        item.text("line_number"),
        item.text("buyer_item"),
        item.text("supplier_item"),
        item.text("upc"),
        quantity,
        unit,
        item.text("lot"),
        unique_serials(item.texts("serials")),
        item.text("sscc"),
    )
