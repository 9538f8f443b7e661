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
from typing import NamedTuple, TypeVar

from gateway.canonical import models as canonical
from gateway.formats.issues import IssueCode, Severity
from gateway.formats.x12.model import Segment
from gateway.mapping.engine import Record
from gateway.mapping.targets.common import Build, Draft

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
_PURPOSES = {p.value: p for p in canonical.ShipmentPurpose}  # a dict lookup is cheaper than the enum call
_MAX_DEPTH = 64  # ancestors looked at above a node (a bound, not an X12 rule)
T = TypeVar("T")


def build(b: Build) -> list[canonical.Shipment]:
    return [canonical.Shipment.model_validate(d) for d in draft(b)]


def draft(b: Build) -> list[Draft]:
    """The shipment as a draft: `canonical.Shipment`'s fields, in its order (see `common.Draft`)."""
    root = b.root
    nodes = root.children("hl")
    links = _check_tree(b, nodes)
    top = next((n for n in nodes if n.role == "shipment"), None)
    scope = (top, root) if top is not None else (root,)

    def text(name: str) -> str | None:
        for rec in scope:
            if (v := rec.text(name)) is not None:
                return v
        return None

    shipment_id = text("shipment_id")
    occurred_at = b.occurred_at(*scope)
    if shipment_id is None or occurred_at is None:
        b.fail(None, "856 without a shipment id or a date: no shipment recorded")
        return []
    packages: list[Draft] = []
    lines: list[Draft] = []
    last_order: Record | None = None
    for node, link in zip(nodes, links, strict=True):
        role = node.role
        if role == "order":
            last_order = node
        elif role == "tare" or role == "pack":
            packages.append(
                {"sscc": node.text("sscc"), "level": str(role), "parent_sscc": link.above.sscc, "quantity": 1}
            )
        elif role == "item":
            line = _line(b, node, link.above, last_order)
            if line is not None:
                lines.append(line)
    weight = _first_of(scope, Record.decimal, "gross_weight")
    purpose = text("purpose") or "original"
    return [
        {
            "type": "shipment",
            "partner_id": b.ctx.partner_id,
            "document_id": b.ctx.document_id,
            "occurred_at": occurred_at,
            "shipment_id": shipment_id,
            "purpose": _PURPOSES.get(purpose) or canonical.ShipmentPurpose(purpose),
            "ship_date": _first_of(scope, Record.day, "ship_date"),
            "expected_delivery": _first_of(scope, Record.day, "expected_delivery"),
            "carrier": text("carrier"),
            "tracking_number": text("tracking_number"),
            "bill_of_lading": text("bill_of_lading"),
            "ship_from": text("ship_from"),
            "ship_to": text("ship_to"),
            "gross_weight": weight,
            "weight_unit": text("weight_unit") if weight is not None else None,
            "packages": tuple(packages),
            "lines": tuple(lines),
            "version": b.stamp_draft(occurred_at),
        }
    ]


def _first_of(scope: tuple[Record, ...], get: Callable[[Record, str], T | None], name: str) -> T | None:
    for rec in scope:
        if (v := get(rec, name)) is not None:
            return v
    return None


class _Chain(NamedTuple):
    """What a node's ancestors (nearest first, at most `_MAX_DEPTH`) tell it, summed up once per node."""

    po_number: str | None  # the first PO number up the chain
    has_order: bool  # an order level is among them
    sscc: str | None  # the SSCC of the nearest packaging level that has one


_NO_CHAIN = _Chain(None, False, None)


class _Link(NamedTuple):
    parent: Record | None
    parent_link: _Link | None
    above: _Chain  # the node's ancestors
    depth: int  # how many ancestors it has


_TOP = _Link(None, None, _NO_CHAIN, 0)


def _line(b: Build, node: Record, above: _Chain, last_order: Record | None) -> Draft | None:
    text = node.text
    po_number = text("po_number")
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
    quantity, unit = node.decimal("quantity"), text("unit")
    if po_number is None or quantity is None or unit is None:
        b.fail(node, "item HL without a PO number, quantity or unit: line skipped")
        return None
    return {
        "po_number": po_number,
        "line_number": text("line_number"),
        "buyer_item": text("buyer_item"),
        "supplier_item": text("supplier_item"),
        "upc": text("upc"),
        "quantity": quantity,
        "unit": unit,
        "lot": text("lot"),
        "serials": tuple(dict.fromkeys(node.texts("serials"))),
        "sscc": above.sscc,
    }


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
