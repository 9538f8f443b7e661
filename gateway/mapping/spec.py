"""The map language: a pydantic model of one `edi_maps/` YAML file (X12 004010 and 005010 maps).

A map names the transaction set and releases it reads, the canonical target it produces, its code
tables, its header fields and its loops. Values are taken with *picks*, a small text syntax:

    BAK03                       element 03 of the BAK segment
    CTP03 where CTP02=UCP|CON   ... only from a CTP whose element 02 is UCP or CON
    N104 where N101=ST          qualifier conditions (several joined with `and`)
    TD503-1                     component 1 of element TD503
    PO1 pair BP from 06         the value after qualifier BP in the pairs PO106/PO107, PO108/PO109, ...
    GS04, ISA13, ST03           envelope elements (read from the interchange and group headers)

A field lists one or more picks in priority order (the first pick that finds a value wins, whatever
the segment order), a conversion (`as`), an optional code table, and whether it is `required`.
Loops start at a segment tag and hold the tags listed in `segments` (or every tag but those in
`until`); a loop with `hierarchy` is the 856 HL tree, with fields per HL03 level.

Everything partner-specific is data: overrides patch a base map (see `registry.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Conversion = Literal["str", "decimal", "int", "date", "time", "datetime"]
Target = Literal["commitment", "shipment", "purchase_order", "functional_ack"]
Role = Literal["shipment", "order", "tare", "pack", "item", "other"]

ENVELOPE_TAGS = frozenset({"ISA", "GS", "ST"})

_TAG = r"[A-Z][A-Z0-9]{1,2}"
_ELEMENT_PICK = re.compile(
    rf"^(?P<tag>{_TAG})(?P<el>\d{{2}})(?:-(?P<comp>\d+))?(?:\s+where\s+(?P<cond>.+))?$"
)
_PAIR_PICK = re.compile(
    rf"^(?P<tag>{_TAG})\s+pair\s+(?P<codes>[A-Z0-9]+(?:\|[A-Z0-9]+)*)\s+from\s+(?P<el>\d{{2}})$"
)
_CONDITION = re.compile(rf"^(?P<tag>{_TAG})(?P<el>\d{{2}})=(?P<codes>[A-Za-z0-9 ]+(?:\|[A-Za-z0-9 ]+)*)$")


@dataclass(frozen=True, slots=True)
class Pick:
    """One parsed pick: where a value sits in a segment."""

    tag: str
    element: int
    component: int | None = None
    where: tuple[tuple[int, frozenset[str]], ...] = ()
    pair_codes: frozenset[str] | None = None  # set for `pair` picks; `element` is then the first qualifier

    @property
    def is_envelope(self) -> bool:
        return self.tag in ENVELOPE_TAGS


def parse_pick(text: str) -> Pick:
    """Parse the pick syntax described in the module docstring; ValueError names what is wrong."""
    text = text.strip()
    if m := _PAIR_PICK.match(text):
        start = int(m["el"])
        if start < 1:
            raise ValueError(f"pick {text!r}: pairs start at element 01 or later")
        return Pick(m["tag"], start, pair_codes=frozenset(m["codes"].split("|")))
    m = _ELEMENT_PICK.match(text)
    if m is None:
        raise ValueError(
            f"pick {text!r} is not 'TAGnn[-c] [where TAGnn=A|B [and ...]]' nor 'TAG pair A|B from nn'"
        )
    tag, element = m["tag"], int(m["el"])
    if element < 1:
        raise ValueError(f"pick {text!r}: elements count from 01")
    where: list[tuple[int, frozenset[str]]] = []
    if m["cond"]:
        for part in re.split(r"\s+and\s+", m["cond"].strip()):
            c = _CONDITION.match(part.strip())
            if c is None or c["tag"] != tag:
                raise ValueError(f"pick {text!r}: condition {part!r} must read {tag}nn=CODE[|CODE]")
            where.append((int(c["el"]), frozenset(c["codes"].split("|"))))
    return Pick(tag, element, int(m["comp"]) if m["comp"] else None, tuple(where))


class Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class FieldSpec(Spec):
    """One value to extract. A bare string in YAML is shorthand for `{from: <string>}`."""

    picks: tuple[str, ...] = Field(alias="from", min_length=1)
    time: tuple[str, ...] = ()  # for `as: datetime`: where the time of day sits
    conversion: Conversion = Field(default="str", alias="as")
    code: str | None = None  # name of a code table; unknown codes are reported
    required: bool = False
    many: bool = False  # collect every value found (serial numbers), not only the first
    severity: Literal["error", "warning"] | None = None  # of issues about this field; default by `required`

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"from": [data]}
        if isinstance(data, dict):
            data = dict(data)
            for key in ("from", "time"):
                if isinstance(data.get(key), str):
                    data[key] = [data[key]]
        return data

    @field_validator("picks", "time")
    @classmethod
    def _parse(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for text in v:
            parse_pick(text)
        return v

    @model_validator(mode="after")
    def _coherent(self) -> FieldSpec:
        if self.time and self.conversion != "datetime":
            raise ValueError("`time` only goes with `as: datetime`")
        if self.code is not None and self.conversion != "str":
            raise ValueError("a field with a code table converts with the table, not `as`")
        return self


class LevelSpec(Spec):
    """One HL03 level of a hierarchy: its canonical role and the fields read at that level."""

    role: Role
    fields: dict[str, FieldSpec] = {}


class HierarchySpec(Spec):
    """The 856 HL tree: HL01 id, HL02 parent, HL03 level code."""

    levels: dict[str, LevelSpec]
    allow: tuple[str, ...] = ()  # level codes tolerated without a role (ZZ batch levels, ...)


class LoopSpec(Spec):
    start: str = Field(pattern=rf"^{_TAG}$")
    segments: tuple[str, ...] = ()  # tags inside the loop besides `start` and nested loop starts
    until: tuple[str, ...] = ()  # or: every tag but these belongs to the loop
    fields: dict[str, FieldSpec] = {}
    loops: dict[str, LoopSpec] = {}
    hierarchy: HierarchySpec | None = None

    @model_validator(mode="after")
    def _membership(self) -> LoopSpec:
        if self.segments and self.until:
            raise ValueError(f"loop {self.start}: give `segments` or `until`, not both")
        return self


class MapSpec(Spec):
    """One inbound map, after `extends` and overrides have been merged."""

    format: Literal["x12"] = "x12"
    set_id: str = Field(pattern=r"^\d{3}$")
    versions: tuple[str, ...] = Field(min_length=1)
    target: Target
    description: str = ""
    extends: str | None = None  # kept for the record; the registry merges the parent before validation
    code_tables: dict[str, dict[str, str]] = {}
    fields: dict[str, FieldSpec] = {}
    loops: dict[str, LoopSpec] = {}

    @model_validator(mode="after")
    def _tables_exist(self) -> MapSpec:
        for where, name, field in _walk_fields(self.fields, self.loops):
            if field.code is not None and field.code not in self.code_tables:
                raise ValueError(f"field {where}{name} uses code table {field.code!r}, which the map lacks")
        return self


def _walk_fields(
    fields: dict[str, FieldSpec], loops: dict[str, LoopSpec], prefix: str = ""
) -> list[tuple[str, str, FieldSpec]]:
    out = [(prefix, name, f) for name, f in fields.items()]
    for loop_name, loop in loops.items():
        inner = f"{prefix}{loop_name}."
        out += _walk_fields(loop.fields, loop.loops, inner)
        if loop.hierarchy is not None:
            for code, level in loop.hierarchy.levels.items():
                out += [(f"{inner}{code}.", n, f) for n, f in level.fields.items()]
    return out
