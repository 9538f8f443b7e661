"""Compile a `MapSpec` into tag-indexed lookups and extract a `Record` tree from one X12 transaction set.

Follows the X12 loop rules (a loop starts at its first segment and lasts while the segments belong to
it; the start tag again opens a sibling) and the 856 HL convention (fields chosen by HL03).

Speed: segments are visited once; each costs one dict lookup by tag in the open scopes, and only
the picks registered for that tag run. Nothing is compiled per document.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from gateway.formats.issues import Issue, IssueCode, Location, Severity
from gateway.formats.x12.model import (
    Segment,
    TransactionSet,
    parse_x12_date,
    parse_x12_datetime,
    parse_x12_time,
)
from gateway.mapping.spec import FieldSpec, LoopSpec, MapSpec, Pick, Role, parse_pick

Value = str | Decimal | int | date | time | datetime | list[str]
_TIME_SUFFIX = "\x00time"


@dataclass(frozen=True, slots=True)
class CField:
    name: str
    conversion: str
    table: Mapping[str, str] | None
    table_name: str | None
    required: bool
    many: bool
    severity: Severity
    picks: tuple[Pick, ...]
    time_picks: tuple[Pick, ...]


@dataclass(frozen=True, slots=True)
class Hook:
    """A pick registered under its segment tag."""

    field: CField
    priority: int
    pick: Pick
    key: str  # the record key it writes (the field name, or its time slot)


@dataclass(slots=True)
class CScope:
    hooks: dict[str, tuple[Hook, ...]]
    fields: tuple[CField, ...]
    loops: dict[str, CLoop]  # by start tag


@dataclass(slots=True)
class CLoop:
    name: str
    start: str
    members: frozenset[str] | None  # None: every tag but `until`
    until: frozenset[str]
    scope: CScope
    levels: dict[str, tuple[Role, CScope]] | None = None
    allow: frozenset[str] = frozenset()

    def holds(self, tag: str) -> bool:
        return tag not in self.until if self.members is None else tag in self.members


@dataclass(slots=True)
class Record:
    """What one scope (the set header, a loop instance, an HL node) yielded."""

    start: Segment | None = None
    level: str = ""  # HL03 for hierarchy nodes
    role: Role | None = None
    values: dict[str, Value] = field(default_factory=dict)
    sources: dict[str, tuple[Segment, int]] = field(default_factory=dict)
    priority: dict[str, int] = field(default_factory=dict)
    empty: dict[str, tuple[Segment, int]] = field(default_factory=dict)
    loops: dict[str, list[Record]] = field(default_factory=dict)

    def text(self, name: str) -> str | None:
        v = self.values.get(name)
        return v if isinstance(v, str) else None

    def texts(self, name: str) -> list[str]:
        v = self.values.get(name)
        return v if isinstance(v, list) else []

    def decimal(self, name: str) -> Decimal | None:
        v = self.values.get(name)
        return v if isinstance(v, Decimal) else None

    def integer(self, name: str) -> int | None:
        v = self.values.get(name)
        return v if isinstance(v, int) and not isinstance(v, bool) else None

    def day(self, name: str) -> date | None:
        v = self.values.get(name)
        return v if isinstance(v, date) and not isinstance(v, datetime) else None

    def moment(self, name: str) -> datetime | None:
        v = self.values.get(name)
        return v if isinstance(v, datetime) else None

    def children(self, loop: str) -> list[Record]:
        return self.loops.get(loop, [])


def compile_spec(spec: MapSpec) -> CScope:
    """The root scope of a map: header fields plus top-level loops, indexed by tag."""
    return _scope(spec.fields, spec.loops, spec.code_tables)


def _field(name: str, f: FieldSpec, tables: Mapping[str, Mapping[str, str]]) -> CField:
    severity = Severity(f.severity) if f.severity else (Severity.ERROR if f.required else Severity.WARNING)
    return CField(
        name=name,
        conversion=f.conversion,
        table=tables[f.code] if f.code else None,
        table_name=f.code,
        required=f.required,
        many=f.many,
        severity=severity,
        picks=tuple(parse_pick(p) for p in f.picks),
        time_picks=tuple(parse_pick(p) for p in f.time),
    )


def _scope(
    fields: Mapping[str, FieldSpec], loops: Mapping[str, LoopSpec], tables: Mapping[str, Mapping[str, str]]
) -> CScope:
    compiled = tuple(_field(n, f, tables) for n, f in fields.items())
    hooks: dict[str, list[Hook]] = {}
    for cf in compiled:
        for prio, pick in enumerate(cf.picks):
            hooks.setdefault(pick.tag, []).append(Hook(cf, prio, pick, cf.name))
        for prio, pick in enumerate(cf.time_picks):
            hooks.setdefault(pick.tag, []).append(Hook(cf, prio, pick, cf.name + _TIME_SUFFIX))
    by_start: dict[str, CLoop] = {}
    for name, loop in loops.items():
        inner = _scope(loop.fields, loop.loops, tables)
        levels = None
        allow: frozenset[str] = frozenset()
        if loop.hierarchy is not None:
            levels = {
                code: (lv.role, _scope(lv.fields, {}, tables)) for code, lv in loop.hierarchy.levels.items()
            }
            allow = frozenset(loop.hierarchy.allow)
        members = None if loop.until or (not loop.segments and loop.hierarchy) else frozenset(loop.segments)
        by_start[loop.start] = CLoop(name, loop.start, members, frozenset(loop.until), inner, levels, allow)
    return CScope({t: tuple(h) for t, h in hooks.items()}, compiled, by_start)


@dataclass(slots=True)
class _Frame:
    loop: CLoop | None
    scopes: tuple[CScope, ...]
    record: Record


class Extraction:
    """One run of a compiled scope over one transaction set; collects issues as it goes."""

    def __init__(self, ts: TransactionSet, file: str | None = None) -> None:
        self.ts = ts
        self.component = ts.delimiters.component
        self.base = Location(
            file=file,
            interchange=ts.interchange.control_number,
            group=ts.group.control_number if ts.group is not None else None,
            transaction=ts.control_number,
        )
        self.issues: list[Issue] = []

    def issue(
        self,
        code: IssueCode,
        severity: Severity,
        seg: Segment | None,
        message: str,
        *,
        element: int | None = None,
        tag: str | None = None,
        bad_value: str | None = None,
    ) -> None:
        b = self.base
        loc = Location(
            file=b.file,
            interchange=b.interchange,
            group=b.group,
            transaction=b.transaction,
            segment_position=seg.position if seg is not None and seg.position > 0 else None,
            segment_tag=tag or (seg.tag if seg is not None else None),
            element=element,
        )
        self.issues.append(Issue(code, severity, loc, message, bad_value))

    def run(self, root: CScope) -> Record:
        rec = Record()
        for seg in _envelope(self.ts):
            hooks = root.hooks.get(seg.tag)
            if hooks:
                self._capture(hooks, rec, seg)
        stack = [_Frame(None, (root,), rec)]
        for seg in self.ts.body:
            tag = seg.tag
            while True:
                frame = stack[-1]
                child = frame.scopes[0].loops.get(tag)
                if child is not None:
                    stack.append(self._open(child, seg, frame.record))
                    break
                loop = frame.loop
                if loop is None or (tag != loop.start and loop.holds(tag)):
                    for scope in frame.scopes:
                        hooks = scope.hooks.get(tag)
                        if hooks:
                            self._capture(hooks, frame.record, seg)
                    break
                self._close(stack.pop())
        while stack:
            self._close(stack.pop())
        return rec

    def _open(self, loop: CLoop, seg: Segment, parent: Record) -> _Frame:
        rec = Record(start=seg)
        parent.loops.setdefault(loop.name, []).append(rec)
        scopes: tuple[CScope, ...] = (loop.scope,)
        if loop.levels is not None:
            rec.level = seg.get(3).strip()
            level = loop.levels.get(rec.level)
            if level is not None:
                rec.role = level[0]
                scopes = (loop.scope, level[1])
            elif rec.level in loop.allow:
                rec.role = "other"
            else:
                self.issue(
                    IssueCode.HIERARCHY_INVALID,
                    Severity.WARNING,
                    seg,
                    f"HL level code {rec.level!r} is neither mapped nor allowed; its segments are ignored",
                    element=3,
                    bad_value=rec.level,
                )
        frame = _Frame(loop, scopes, rec)
        for scope in scopes:
            hooks = scope.hooks.get(seg.tag)
            if hooks:
                self._capture(hooks, rec, seg)
        return frame

    def _close(self, frame: _Frame) -> None:
        rec = frame.record
        for scope in frame.scopes:
            for f in scope.fields:
                if f.conversion == "datetime" and f.name in rec.values:
                    self._combine(f, rec)
                if f.required and not rec.values.get(f.name):
                    self._missing(f, rec)

    def _combine(self, f: CField, rec: Record) -> None:
        raw = rec.values[f.name]
        t = rec.values.pop(f.name + _TIME_SUFFIX, "")
        assert isinstance(raw, str)
        assert isinstance(t, str)
        value = parse_x12_datetime(raw, t)
        if value is None:
            del rec.values[f.name]
            seg, el = rec.sources[f.name]
            self.issue(
                IssueCode.INVALID_DATE,
                f.severity,
                seg,
                f"{f.name}: {raw!r} is not a date",
                element=el,
                bad_value=raw,
            )
        else:
            rec.values[f.name] = value

    def _missing(self, f: CField, rec: Record) -> None:
        if f.name in rec.empty:
            seg, el = rec.empty[f.name]
            self.issue(
                IssueCode.MANDATORY_ELEMENT_MISSING,
                Severity.ERROR,
                seg,
                f"{seg.tag}{el:02d} ({f.name}) is required but empty",
                element=el,
            )
            return
        if f.name in rec.sources:  # found, but its value was rejected (and reported) on conversion
            return
        pick = f.picks[0]
        self.issue(
            IssueCode.MISSING_VALUE,
            Severity.ERROR,
            rec.start,
            f"{f.name} is required; no {pick.tag} segment carries it",
            tag=pick.tag,
            element=pick.element,
        )

    def _capture(self, hooks: tuple[Hook, ...], rec: Record, seg: Segment) -> None:
        for h in hooks:
            pick = h.pick
            if pick.where and not _matches(seg, pick):
                continue
            f = h.field
            key = h.key
            if not f.many:
                prio = rec.priority.get(key)
                if prio is not None and prio <= h.priority:
                    continue
            if pick.pair_codes is not None:
                found = _pairs(seg, pick)
                if not found:
                    continue
                el, raws = found[0][0], [r for _, r in found]
            else:
                el = pick.element
                raw = seg.get(el)
                if pick.component is not None:
                    parts = raw.split(self.component)
                    raw = parts[pick.component - 1] if pick.component <= len(parts) else ""
                raw = raw.strip()
                if not raw:
                    rec.empty.setdefault(key, (seg, el))
                    continue
                raws = [raw]
            if f.many:
                bucket = rec.values.setdefault(key, [])
                assert isinstance(bucket, list)
                bucket.extend(raws)
                rec.sources.setdefault(key, (seg, el))
                continue
            value = (
                raws[0] if key != f.name or f.conversion == "datetime" else self._convert(f, raws[0], seg, el)
            )
            rec.sources[key] = (seg, el)
            if value is None:
                continue
            rec.values[key] = value
            rec.priority[key] = h.priority

    def _convert(self, f: CField, raw: str, seg: Segment, el: int) -> Value | None:
        conv = f.conversion
        if f.table is not None:
            code = f.table.get(raw)
            if code is None:
                self.issue(
                    IssueCode.UNKNOWN_CODE,
                    f.severity,
                    seg,
                    f"{seg.tag}{el:02d} {raw!r} is not in code table {f.table_name!r} ({f.name})",
                    element=el,
                    bad_value=raw,
                )
            return code
        if conv == "str":
            return raw
        if conv == "decimal":
            try:
                d = Decimal(raw)
            except InvalidOperation:
                d = None
            if d is not None and d.is_finite():
                return d
            self.issue(
                IssueCode.INVALID_NUMBER,
                f.severity,
                seg,
                f"{f.name}: {raw!r} is not a number",
                element=el,
                bad_value=raw,
            )
            return None
        if conv == "int":
            if raw.isdigit():
                return int(raw)
            self.issue(
                IssueCode.INVALID_NUMBER,
                f.severity,
                seg,
                f"{f.name}: {raw!r} is not a whole number",
                element=el,
                bad_value=raw,
            )
            return None
        if conv == "date":
            day = parse_x12_date(raw)
            if day is None:
                self.issue(
                    IssueCode.INVALID_DATE,
                    f.severity,
                    seg,
                    f"{f.name}: {raw!r} is not a date",
                    element=el,
                    bad_value=raw,
                )
            return day
        clock = parse_x12_time(raw)  # conv == "time"
        if clock is None:
            self.issue(
                IssueCode.INVALID_TIME,
                f.severity,
                seg,
                f"{f.name}: {raw!r} is not a time",
                element=el,
                bad_value=raw,
            )
        return clock


def _matches(seg: Segment, pick: Pick) -> bool:
    els = seg.elements
    for el, codes in pick.where:  # noqa: SIM110 - a plain loop is about twice as fast as all() here
        if el > len(els) or els[el - 1].strip() not in codes:
            return False
    return True


def _pairs(seg: Segment, pick: Pick) -> list[tuple[int, str]]:
    """(value element, value) for every qualifier/value pair whose qualifier is in the pick's codes."""
    codes = pick.pair_codes or frozenset()
    els = seg.elements
    out = []
    for i in range(pick.element - 1, len(els) - 1, 2):
        if els[i].strip() in codes and (v := els[i + 1].strip()):
            out.append((i + 2, v))
    return out


def _envelope(ts: TransactionSet) -> tuple[Segment, ...]:
    """ISA, GS and ST as segments (position 0: they sit outside the set's body)."""
    i = ts.interchange
    isa = Segment(
        "ISA",
        (
            i.authorization_qualifier,
            i.authorization,
            i.security_qualifier,
            i.security,
            i.sender_qualifier,
            i.sender_id,
            i.receiver_qualifier,
            i.receiver_id,
            i.date,
            i.time,
            i.standards_id,
            i.version,
            i.control_number,
            i.ack_requested,
            i.usage,
            i.delimiters.component,
        ),
    )
    out = [isa]
    if (g := ts.group) is not None:
        out.append(
            Segment(
                "GS",
                (
                    g.functional_id,
                    g.application_sender,
                    g.application_receiver,
                    g.date,
                    g.time,
                    g.control_number,
                    g.agency,
                    g.version,
                ),
            )
        )
    if ts.segments and ts.segments[0].tag == "ST":
        out.append(ts.segments[0])
    return tuple(out)
