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
from datetime import datetime
from decimal import Decimal
from typing import Final, TypeVar

from gateway.canonical import models as canonical
from gateway.formats.issues import IssueCode, Severity
from gateway.formats.x12.model import Segment
from gateway.mapping.engine import Record
from gateway.mapping.targets import json_lines
from gateway.mapping.targets.common import Build, Draft

TABLES = {"purpose": frozenset(canonical.ShipmentPurpose)}
FIELDS = ("shipment_id", "occurred_at")

# BSN05 (element 1005): the order of roles from the top; a tare level is tolerated above packs.
_STRUCTURES: Final = {
    "0001": ("shipment", "order", "tare", "pack", "item"),
    "0002": ("shipment", "order", "item", "tare", "pack"),
    "0003": ("shipment", "tare", "pack", "order", "item"),
    "0004": ("shipment", "order", "item"),
}
_PACKAGING: Final = ("tare", "pack")
_PURPOSES: Final = {
    p.value: p for p in canonical.ShipmentPurpose
}  # a dict lookup is cheaper than the enum call
_MAX_DEPTH = 64  # ancestors looked at above a node (a bound, not an X12 rule)
T = TypeVar("T")


def build(b: Build) -> list[canonical.Shipment]:
    return [canonical.Shipment.model_validate(d) for d in draft(b)]


def draft(b: Build) -> list[Draft]:
    """The shipment as a draft: `canonical.Shipment`'s fields, in its order (see `common.Draft`)."""
    notice = _read(b)
    return [] if notice is None else [_draft(notice)]


def write(b: Build) -> list[str]:
    """The shipment as JSON text: exactly `pydantic_core.to_json(d)` for the draft `d` of
    `draft(b)` (the model's `model_dump_json()`), without the draft."""
    notice = _read(b)
    return [] if notice is None else [_json(notice)]


# Plain classes with written-out constructors (not NamedTuples, whose Python-level __new__ runs per
# call): native in a compiled build.
class Line:
    """One shipment line (an 856 item HL; a tree notice's item: `shipment_orders`)."""

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


class Heading:
    """What a shipment carries besides its packages and lines, read from the first record of `scope`
    that has each value (an 856's S level, then the segments before the first HL; a tree notice's
    header record)."""

    def __init__(
        self,
        b: Build,
        shipment_id: str,
        occurred_at: datetime,
        purpose: canonical.ShipmentPurpose,
        scope: tuple[Record, ...],
    ) -> None:
        self.partner_id = b.ctx.partner_id
        self.document_id = b.ctx.document_id
        self.occurred_at = occurred_at
        self.shipment_id = shipment_id
        self.purpose = purpose
        self.ship_date = _first_of(scope, Record.day, "ship_date")
        self.expected_delivery = _first_of(scope, Record.day, "expected_delivery")
        self.carrier = _text(scope, "carrier")
        self.tracking_number = _text(scope, "tracking_number")
        self.bill_of_lading = _text(scope, "bill_of_lading")
        self.ship_from = _text(scope, "ship_from")
        self.ship_to = _text(scope, "ship_to")
        weight = _first_of(scope, Record.decimal, "gross_weight")
        self.gross_weight = weight
        self.weight_unit = _text(scope, "weight_unit") if weight is not None else None
        self.version = b.stamp_draft(occurred_at)


class _Notice(Heading):
    """The shipment of one ship notice, before it is drafted or written."""

    def __init__(self, b: Build, shipment_id: str, occurred_at: datetime, scope: tuple[Record, ...]) -> None:
        purpose = _text(scope, "purpose") or "original"
        super().__init__(
            b, shipment_id, occurred_at, _PURPOSES.get(purpose) or canonical.ShipmentPurpose(purpose), scope
        )
        self.packages: list[tuple[str | None, str, str | None]] = []  # sscc, level, parent's sscc
        self.lines: list[Line] = []


def _text(scope: tuple[Record, ...], name: str) -> str | None:
    for rec in scope:
        if (v := rec.text(name)) is not None:
            return v
    return None


def _read(b: Build) -> _Notice | None:
    """The notice's shipment (None when it has no id or date: reported)."""
    root = b.root
    nodes = root.children("hl")
    links = _check_tree(b, nodes)
    top = next((n for n in nodes if n.role == "shipment"), None)
    scope = (top, root) if top is not None else (root,)
    shipment_id = _text(scope, "shipment_id")
    occurred_at = b.occurred_at(*scope)
    if shipment_id is None or occurred_at is None:
        b.fail(None, "856 without a shipment id or a date: no shipment recorded")
        return None
    notice = _Notice(b, shipment_id, occurred_at, scope)
    last_order: Record | None = None
    for node, link in zip(nodes, links, strict=True):
        role = node.role
        if role == "order":
            last_order = node
        elif role == "tare" or role == "pack":
            notice.packages.append((node.text("sscc"), str(role), link.above.sscc))
        elif role == "item":
            line = _line(b, node, link.above, last_order)
            if line is not None:
                notice.lines.append(line)
    return notice


def _draft(n: _Notice) -> Draft:
    packages: tuple[Draft, ...] = tuple(
        {"sscc": sscc, "level": level, "parent_sscc": parent, "quantity": 1}
        for sscc, level, parent in n.packages
    )
    return shipment_draft(n, packages, tuple(line_draft(i) for i in n.lines))


def _json(n: _Notice) -> str:
    """`_draft` as `pydantic_core.to_json` writes it (f-strings: one str built per piece)."""
    packages = ",".join(
        [
            f'{{"sscc":{json_lines.text(sscc)},"level":{json_lines.quoted(level)}'
            f',"parent_sscc":{json_lines.text(parent)},"quantity":1}}'
            for sscc, level, parent in n.packages
        ]
    )
    return shipment_json(n, packages, ",".join([line_json(i) for i in n.lines]))


def shipment_draft(
    h: Heading, packages: tuple[Draft, ...], lines: tuple[Draft, ...], complete: tuple[str, ...] = ()
) -> Draft:
    """A shipment as `canonical.Shipment`'s fields, in its order (`complete_orders` only when some)."""
    shipment: Draft = {
        "type": "shipment",
        "partner_id": h.partner_id,
        "document_id": h.document_id,
        "occurred_at": h.occurred_at,
        "shipment_id": h.shipment_id,
        "purpose": h.purpose,
        "ship_date": h.ship_date,
        "expected_delivery": h.expected_delivery,
        "carrier": h.carrier,
        "tracking_number": h.tracking_number,
        "bill_of_lading": h.bill_of_lading,
        "ship_from": h.ship_from,
        "ship_to": h.ship_to,
        "gross_weight": h.gross_weight,
        "weight_unit": h.weight_unit,
        "packages": packages,
        "lines": lines,
    }
    if complete:  # left out of the JSON while empty
        shipment["complete_orders"] = complete
    shipment["version"] = h.version
    return shipment


def shipment_json(h: Heading, packages: str, lines: str, complete: tuple[str, ...] = ()) -> str:
    """`shipment_draft` as `pydantic_core.to_json` writes it, from its packages' and lines' JSON."""
    version = h.version
    seq, source = version["sequence"], version["source"]
    assert isinstance(seq, int)
    assert isinstance(source, str)
    orders = f',"complete_orders":[{",".join([json_lines.quoted(c) for c in complete])}]' if complete else ""
    return (
        f'{{"type":"shipment","partner_id":{json_lines.quoted(h.partner_id)}'
        f',"document_id":{json_lines.quoted(h.document_id)}'
        f',"occurred_at":{json_lines.moment(h.occurred_at)}'
        f',"shipment_id":{json_lines.quoted(h.shipment_id)},"purpose":{json_lines.quoted(h.purpose)}'
        f',"ship_date":{json_lines.day(h.ship_date)}'
        f',"expected_delivery":{json_lines.day(h.expected_delivery)}'
        f',"carrier":{json_lines.text(h.carrier)}'
        f',"tracking_number":{json_lines.text(h.tracking_number)}'
        f',"bill_of_lading":{json_lines.text(h.bill_of_lading)}'
        f',"ship_from":{json_lines.text(h.ship_from)},"ship_to":{json_lines.text(h.ship_to)}'
        f',"gross_weight":{json_lines.number(h.gross_weight)}'
        f',"weight_unit":{json_lines.text(h.weight_unit)}'
        f',"packages":[{packages}],"lines":[{lines}]{orders}'
        f',"version":{{"issued_at":{json_lines.moment(h.occurred_at)},"sequence":{seq}'
        f',"source":{json_lines.quoted(source)}}}}}'
    )


def line_draft(i: Line) -> Draft:
    """A shipment line as `canonical.ShipmentLine`'s fields, in its order."""
    return {
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


def line_json(i: Line) -> str:
    """`line_draft` as `pydantic_core.to_json` writes it."""
    return (
        f'{{"po_number":{json_lines.quoted(i.po_number)}'
        f',"line_number":{json_lines.text(i.line_number)}'
        f',"buyer_item":{json_lines.text(i.buyer_item)}'
        f',"supplier_item":{json_lines.text(i.supplier_item)}'
        f',"upc":{json_lines.text(i.upc)},"quantity":{json_lines.number(i.quantity)}'
        f',"unit":{json_lines.quoted(i.unit)},"lot":{json_lines.text(i.lot)}'
        f',"serials":[{",".join([json_lines.quoted(s) for s in i.serials])}]'
        f',"sscc":{json_lines.text(i.sscc)}}}'
    )


def _first_of(scope: tuple[Record, ...], get: Callable[[Record, str], T | None], name: str) -> T | None:
    for rec in scope:
        if (v := get(rec, name)) is not None:
            return v
    return None


class _Chain:
    """What a node's ancestors (nearest first, at most `_MAX_DEPTH`) tell it, summed up once per node."""

    def __init__(self, po_number: str | None, has_order: bool, sscc: str | None) -> None:
        self.po_number = po_number  # the first PO number up the chain
        self.has_order = has_order  # an order level is among them
        self.sscc = sscc  # the SSCC of the nearest packaging level that has one


_NO_CHAIN: Final = _Chain(None, False, None)


class _Link:
    def __init__(self, parent: Record | None, parent_link: _Link | None, above: _Chain, depth: int) -> None:
        self.parent = parent
        self.parent_link = parent_link
        self.above = above  # the node's ancestors
        self.depth = depth  # how many ancestors it has


_TOP: Final = _Link(None, None, _NO_CHAIN, 0)


def _line(b: Build, node: Record, above: _Chain, last_order: Record | None) -> Line | None:
    po_number = node.text("po_number")
    if po_number is None:
        po_number = above.po_number
    if po_number is None and not above.has_order:
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
    return Line(
        po_number,
        node.text("line_number"),
        node.text("buyer_item"),
        node.text("supplier_item"),
        node.text("upc"),
        quantity,
        unit,
        node.text("lot"),
        unique_serials(node.texts("serials")),
        above.sscc,
    )


def unique_serials(serials: list[str]) -> tuple[str, ...]:
    """The serial numbers once each, in order (most lines carry none: nothing to call)."""
    return tuple(dict.fromkeys(serials)) if serials else ()


def _summary(chain: list[Record]) -> _Chain:
    """The `_Chain` of an explicit list of ancestors (nearest first)."""
    return _Chain(
        po_number=next((v for r in chain if (v := r.text("po_number")) is not None), None),
        has_order=any(a.role == "order" for a in chain),
        sscc=next((a.text("sscc") for a in chain if a.role in _PACKAGING and a.text("sscc")), None),
    )


def _below(parent: Record, plink: _Link) -> _Chain:
    """The `_Chain` of `parent`'s children: the parent, then its own ancestors."""
    if plink.depth + 1 > _MAX_DEPTH:  # the bound cuts the chain: walk it
        chain = [parent]
        link: _Link | None = plink
        while link is not None and link.parent is not None and len(chain) < _MAX_DEPTH:
            chain.append(link.parent)
            link = link.parent_link
        return _summary(chain)
    above = plink.above
    po = parent.text("po_number")
    sscc = parent.text("sscc") if parent.role == "tare" or parent.role == "pack" else None
    return _Chain(
        po_number=po if po is not None else above.po_number,
        has_order=parent.role == "order" or above.has_order,
        sscc=sscc or above.sscc,
    )


def _check_tree(b: Build, nodes: list[Record]) -> list[_Link]:
    """Parent and ancestor summary of each node, reporting HL01/HL02 and structure problems."""
    by_id: dict[str, tuple[Record, _Link]] = {}
    below: dict[int, _Chain] = {}  # by the parent's object id: siblings share it
    out: list[_Link] = []
    structure = b.root.text("structure")
    rank: dict[str | None, int] = {
        role: i for i, role in reversed(list(enumerate(_STRUCTURES.get(structure or "", ()))))
    }
    previous = -1
    for node in nodes:
        seg = node.start
        assert isinstance(seg, Segment)  # HL nodes are X12 segments
        els = seg.elements
        hl_id = els[0].strip() if els else ""
        parent_id = els[1].strip() if len(els) > 1 else ""
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
            number = int(hl_id)
            if number <= previous:
                b.run.issue(
                    IssueCode.HIERARCHY_INVALID,
                    Severity.WARNING,
                    seg,
                    f"HL01 {hl_id} does not ascend",
                    element=1,
                    bad_value=hl_id,
                )
            previous = number
        found = by_id.get(parent_id) if parent_id else None
        parent = found[0] if found is not None else None
        if parent_id and parent is None:
            b.run.issue(
                IssueCode.HIERARCHY_INVALID,
                Severity.ERROR,
                seg,
                f"HL02 {parent_id!r} names no earlier HL",
                element=2,
                bad_value=parent_id,
            )
        elif parent is not None:
            child_rank, parent_rank = rank.get(node.role), rank.get(parent.role)
            if child_rank is not None and parent_rank is not None and parent_rank >= child_rank:
                b.run.issue(
                    IssueCode.HIERARCHY_INVALID,
                    Severity.WARNING,
                    seg,
                    f"a {node.role} level under a {parent.role} level breaks BSN05 structure {structure}",
                    element=2,
                    bad_value=parent_id,
                )
        if found is None:
            link = _TOP
        else:
            parent, plink = found
            above = below.get(id(parent))
            if above is None:
                above = below[id(parent)] = _below(parent, plink)
            link = _Link(parent, plink, above, plink.depth + 1)
        if hl_id:
            by_id.setdefault(hl_id, (node, link))
        out.append(link)
    return out
