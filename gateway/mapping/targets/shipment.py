"""A Shipment from a ship notice (X12 856, 004010/005010), whatever HL structure the partner uses.

HL nodes come from the map's `hl` hierarchy loop, each with a role (shipment, order, tare, pack,
item, other). Header values are read at the S level first, then from the segments before the first
HL (partners put DTM there). Lines take their PO number from the item itself or its nearest order
ancestor (S-O-I, S-O-P-I, S-O-T-P-I, S-P-O-I alike); an item with no order ancestor takes the last
order seen before it, with a warning. Packages are the tare and pack nodes, with their MAN*GM SSCC
and the SSCC of the nearest packaging ancestor.

Structural checks (X12 HL rules, EDI_REFERENCE.md): HL01 unique and ascending, HL02 names an earlier
HL, the parent's role comes before the child's in the BSN05 structure, each item has an order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from gateway.canonical import models as canonical
from gateway.formats.issues import IssueCode, Severity
from gateway.mapping.engine import Record
from gateway.mapping.targets.common import Build

TABLES = {"purpose": frozenset(canonical.ShipmentPurpose)}
FIELDS = ("shipment_id", "occurred_at")

# BSN05 (element 1005): the order of roles from the top; a tare level is tolerated above packs.
_STRUCTURES = {
    "0001": ("shipment", "order", "tare", "pack", "item"),
    "0002": ("shipment", "order", "item", "tare", "pack"),
    "0003": ("shipment", "tare", "pack", "order", "item"),
    "0004": ("shipment", "order", "item"),
}
_PACKAGING = ("tare", "pack")
T = TypeVar("T")


def build(b: Build) -> list[canonical.Shipment]:
    nodes = b.root.children("hl")
    parents = _check_tree(b, nodes)
    top = next((n for n in nodes if n.role == "shipment"), None)
    scope = (top, b.root) if top is not None else (b.root,)

    def text(name: str) -> str | None:
        return _first(scope, lambda r: r.text(name))

    shipment_id = text("shipment_id")
    occurred_at = b.occurred_at(*scope)
    if shipment_id is None or occurred_at is None:
        b.fail(None, "856 without a shipment id or a date: no shipment recorded")
        return []
    packages, lines = [], []
    last_order: Record | None = None
    for node in nodes:
        chain = _ancestors(node, parents)
        if node.role == "order":
            last_order = node
        elif node.role in _PACKAGING:
            packages.append(
                canonical.Package(
                    sscc=node.text("sscc"),
                    level=str(node.role),
                    parent_sscc=next(
                        (a.text("sscc") for a in chain if a.role in _PACKAGING and a.text("sscc")), None
                    ),
                )
            )
        elif node.role == "item":
            line = _line(b, node, chain, last_order)
            if line is not None:
                lines.append(line)
    weight = _first(scope, lambda r: r.decimal("gross_weight"))
    return [
        canonical.Shipment(
            partner_id=b.ctx.partner_id,
            document_id=b.ctx.document_id,
            occurred_at=occurred_at,
            shipment_id=shipment_id,
            purpose=canonical.ShipmentPurpose(text("purpose") or "original"),
            ship_date=_first(scope, lambda r: r.day("ship_date")),
            expected_delivery=_first(scope, lambda r: r.day("expected_delivery")),
            carrier=text("carrier"),
            tracking_number=text("tracking_number"),
            bill_of_lading=text("bill_of_lading"),
            ship_from=text("ship_from"),
            ship_to=text("ship_to"),
            gross_weight=weight,
            weight_unit=text("weight_unit") if weight is not None else None,
            packages=tuple(packages),
            lines=tuple(lines),
            version=b.stamp(occurred_at),
        )
    ]


def _first(scope: tuple[Record, ...], get: Callable[[Record], T | None]) -> T | None:
    return next((v for r in scope if (v := get(r)) is not None), None)


def _line(
    b: Build, node: Record, chain: list[Record], last_order: Record | None
) -> canonical.ShipmentLine | None:
    po_number = next((v for r in (node, *chain) if (v := r.text("po_number")) is not None), None)
    if po_number is None and not any(a.role == "order" for a in chain):
        b.run.issue(
            IssueCode.HIERARCHY_INVALID,
            Severity.WARNING,
            node.start,
            "item HL has no order ancestor; the last order before it is used",
            element=2,
        )
        po_number = last_order.text("po_number") if last_order is not None else None
    quantity, unit = node.decimal("quantity"), node.text("unit")
    if po_number is None or quantity is None or unit is None:
        b.fail(node, "item HL without a PO number, quantity or unit: line skipped")
        return None
    return canonical.ShipmentLine(
        po_number=po_number,
        line_number=node.text("line_number"),
        buyer_item=node.text("buyer_item"),
        supplier_item=node.text("supplier_item"),
        upc=node.text("upc"),
        quantity=quantity,
        unit=unit,
        lot=node.text("lot"),
        serials=tuple(dict.fromkeys(node.texts("serials"))),
        sscc=next((a.text("sscc") for a in chain if a.role in _PACKAGING and a.text("sscc")), None),
    )


def _ancestors(node: Record, parents: dict[int, Record | None]) -> list[Record]:
    out: list[Record] = []
    parent = parents.get(id(node))
    while parent is not None and len(out) < 64:
        out.append(parent)
        parent = parents.get(id(parent))
    return out


def _check_tree(b: Build, nodes: list[Record]) -> dict[int, Record | None]:
    """Parent of each node (by object id), reporting HL01/HL02 and structure problems."""
    by_id: dict[str, Record] = {}
    parents: dict[int, Record | None] = {}
    order = _STRUCTURES.get(b.root.text("structure") or "", ())
    previous = -1
    for node in nodes:
        seg = node.start
        assert seg is not None
        hl_id, parent_id = seg.get(1).strip(), seg.get(2).strip()
        if not hl_id or hl_id in by_id:
            b.run.issue(
                IssueCode.HIERARCHY_INVALID,
                Severity.ERROR,
                seg,
                f"HL01 {hl_id!r} is empty or repeated",
                element=1,
                bad_value=hl_id,
            )
        elif hl_id.isdigit():
            if int(hl_id) <= previous:
                b.run.issue(
                    IssueCode.HIERARCHY_INVALID,
                    Severity.WARNING,
                    seg,
                    f"HL01 {hl_id} does not ascend",
                    element=1,
                    bad_value=hl_id,
                )
            previous = int(hl_id)
        parent = by_id.get(parent_id) if parent_id else None
        if parent_id and parent is None:
            b.run.issue(
                IssueCode.HIERARCHY_INVALID,
                Severity.ERROR,
                seg,
                f"HL02 {parent_id!r} names no earlier HL",
                element=2,
                bad_value=parent_id,
            )
        elif (
            parent is not None
            and node.role in order
            and parent.role in order
            and order.index(str(parent.role)) >= order.index(str(node.role))
        ):
            b.run.issue(
                IssueCode.HIERARCHY_INVALID,
                Severity.WARNING,
                seg,
                f"a {node.role} level under a {parent.role} level breaks BSN05 structure "
                f"{b.root.text('structure')}",
                element=2,
                bad_value=parent_id,
            )
        if hl_id:
            by_id.setdefault(hl_id, node)
        parents[id(node)] = parent
    return parents
