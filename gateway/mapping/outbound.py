"""Outbound maps: a PurchaseOrder written as X12 850 body segments, and a revision's changes as an
X12 860 (Purchase Order Change Request - Buyer Initiated), both 004010/005010, from YAML templates.

An outbound map (`edi_maps/x12/<set>/<version>.out.yaml`) lists segment templates for the header,
for each PO line (for an 860: each changed line, see `changes.py`) and for the trailer. An element is

    "literal", "{path}", "{a|b}" (first non-empty), "{path:table}" (through a code table)
    [QUALIFIER, "{path}"]            a qualifier/value pair, left out whole when the value is empty
    {value: "...", when: path}       empty unless `path` has a value

A segment may carry `when: path` (skip unless set; `a|b` means either) and `each: path` (one segment
per element of a collection, whose fields are then in scope). Paths read the line or schedule line
in scope, then the order, then `buyer`, `supplier`, `line_count` (and for an 860
`previous_revision`). Decimals are written plain
(no exponent, no trailing zeros), dates as CCYYMMDD, trailing empty elements are dropped.

Values are not escaped: the writer checks them against the interchange delimiters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from gateway.canonical import models as canonical
from gateway.errors import MappingError
from gateway.formats.x12.model import Segment
from gateway.mapping.changes import PurchaseOrderChange

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ConditionalElement(_Spec):
    value: str
    when: str


ElementTemplate = str | tuple[str, str] | ConditionalElement


class SegmentTemplate(_Spec):
    tag: str = Field(pattern=r"^[A-Z][A-Z0-9]{1,2}$")
    elements: tuple[ElementTemplate, ...]
    when: str | None = None
    each: str | None = None


class OutboundMap(_Spec):
    format: Literal["x12"] = "x12"
    set_id: str = Field(pattern=r"^\d{3}$")
    versions: tuple[str, ...] = Field(min_length=1)
    description: str = ""
    code_tables: dict[str, dict[str, str]] = {}
    header: tuple[SegmentTemplate, ...] = ()
    line: tuple[SegmentTemplate, ...] = ()
    trailer: tuple[SegmentTemplate, ...] = ()


@dataclass(frozen=True, slots=True)
class Party:
    """A party named in an N1 loop: name, id and its qualifier (92 assigned by buyer, ZZ mutually defined)."""

    name: str
    id: str = ""
    qualifier: str = "92"


def purchase_order_to_850(
    po: canonical.PurchaseOrder, *, version: str, buyer: Party, supplier: Party, map: OutboundMap
) -> list[Segment]:
    """The 850 body (between ST and SE) for `po`; MappingError when the map is not for this release."""
    base: list[object] = [po, {"buyer": buyer, "supplier": supplier, "line_count": len(po.lines)}]
    return _body(map, version, base, po.lines)


def purchase_order_change_to_860(
    change: PurchaseOrderChange,
    *,
    version: str,
    buyer: Party,
    supplier: Party,
    map: OutboundMap,
) -> list[Segment]:
    """The 860 body for a revision's changed lines (one POC loop each)."""
    if map.set_id != "860":
        raise MappingError(f"an 860 needs an 860 outbound map, not a {map.set_id} one")
    extra = {
        "buyer": buyer,
        "supplier": supplier,
        "line_count": change.line_count,
        "previous_revision": change.previous_revision,
    }
    return _body(map, version, [change.po, extra], change.lines)


def _body(map: OutboundMap, version: str, base: list[object], lines: Sequence[object]) -> list[Segment]:
    if not any(version.startswith(v) or v.startswith(version) for v in map.versions):
        raise MappingError(f"outbound map for {map.versions} cannot write release {version}")
    writer = _Writer(map.code_tables)
    out = writer.section(map.header, base)
    for line in lines:
        out += writer.section(map.line, [line, *base])
    out += writer.section(map.trailer, base)
    return [Segment(s.tag, s.elements, position=i) for i, s in enumerate(out, start=2)]


class _Writer:
    def __init__(self, tables: Mapping[str, Mapping[str, str]]) -> None:
        self.tables = tables

    def section(self, templates: Sequence[SegmentTemplate], scope: list[object]) -> list[Segment]:
        out: list[Segment] = []
        for t in templates:
            if t.when is not None and not self.truthy(t.when, scope):
                continue
            if t.each is None:
                out.append(self.segment(t, scope))
                continue
            items = self.lookup(t.each, scope)
            if not isinstance(items, Sequence):
                raise MappingError(f"{t.tag}: `each: {t.each}` is not a collection")
            out += [self.segment(t, [item, *scope]) for item in items]
        return out

    def segment(self, t: SegmentTemplate, scope: list[object]) -> Segment:
        elements: list[str] = []
        for el in t.elements:
            if isinstance(el, str):
                elements.append(self.render(el, scope))
            elif isinstance(el, ConditionalElement):
                elements.append(self.render(el.value, scope) if self.truthy(el.when, scope) else "")
            elif value := self.render(el[1], scope):
                elements += [self.render(el[0], scope), value]
        while elements and not elements[-1]:
            elements.pop()
        return Segment(t.tag, tuple(elements))

    def render(self, template: str, scope: list[object]) -> str:
        return _PLACEHOLDER.sub(lambda m: self.text(m[1], scope), template)

    def truthy(self, expr: str, scope: list[object]) -> bool:
        return any(bool(self.lookup(path.strip(), scope)) for path in expr.split("|"))

    def text(self, expr: str, scope: list[object]) -> str:
        expr, _, table = expr.partition(":")
        for path in expr.split("|"):
            value = _format(self.lookup(path.strip(), scope))
            if value:
                if table:
                    if value not in self.tables.get(table, {}):
                        raise MappingError(f"{value!r} is not in outbound code table {table!r}")
                    return self.tables[table][value]
                return value
        return ""

    @staticmethod
    def lookup(path: str, scope: list[object]) -> Any:
        head, *rest = path.split(".")
        for obj in scope:
            value = obj.get(head) if isinstance(obj, Mapping) else getattr(obj, head, _MISSING)
            if value is _MISSING or (isinstance(obj, Mapping) and head not in obj):
                continue
            for part in rest:
                value = getattr(value, part, None)
            return value
        raise MappingError(f"outbound map names {path!r}, which nothing in scope has")


_MISSING = object()


def _format(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value else "0"
    if isinstance(value, date):
        return value.strftime("%Y%m%d")
    if isinstance(value, bool):
        return "Y" if value else ""
    return str(value)
