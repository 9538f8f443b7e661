"""Compile a `MapSpec` into per-tag action tables, once per map (and partner override) at load time.

Each frame of the engine's loop stack is a `State` (the set level, a loop, or a loop at one HL level)
with a table from tag to one `Action`: capture the values of this segment with these steps, open this
nested loop, or close the frame. A `Step` is one pick of one field, with its element index, its parsed
qualifier conditions and its bound converter, so nothing is parsed or dispatched per segment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, NamedTuple

from gateway.formats.issues import Severity
from gateway.mapping.conversions import Converter, converter
from gateway.mapping.spec import FieldSpec, LoopSpec, MapSpec, Pick, Role, parse_pick

TIME_SUFFIX: Final = "\x00time"  # the record key of a datetime field's time of day: name + TIME_SUFFIX
_ENVELOPE = ("ISA", "GS", "ST")


@dataclass(frozen=True, slots=True)
class CField:
    name: str
    conversion: str
    required: bool
    many: bool
    severity: Severity
    picks: tuple[Pick, ...]
    time_picks: tuple[Pick, ...]
    convert: Converter | None  # None: the raw text is kept


@dataclass(slots=True, init=False)
class Step:
    """One pick of one field, registered under its segment tag.

    A plain class with a written-out constructor: native in a compiled build, where the engine
    reads only the attributes a pick needs, each a field of the object's C struct (a tuple had all
    fourteen unpacked, with a reference taken and dropped for each, at every pick)."""

    plain: bool  # a whole element, no condition, not `many` (the engine's short path)
    where: tuple[tuple[int, frozenset[str]], ...]
    element: int  # 1-based; for `pair` picks, the first qualifier
    component: int | None  # 1-based; None for the whole element
    pair_codes: frozenset[str] | None
    key: str  # the record key it writes (the field name, or its time slot)
    many: bool
    priority: int
    convert: Converter | None  # None: keep the raw text (strings, datetime parts, time slots)
    # How the engine reads the value itself (PARSE_*), calling `convert` only to report a value it
    # cannot read; PARSE_CALL: always through `convert`.
    parse: int
    # PARSE_CODE: the code table (a dict: a compiled build looks it up natively, where a Mapping's
    # `get` is a Python method call, about 560 instructions a value).
    table: dict[str, str] | None
    # Whether another step of the frame may write `key` at another priority (else the first value
    # written wins, and no priority needs keeping), and whether the frame's closing checks read where
    # `key` was found (`Record.sources`, `Record.empty`). Set per frame by `framed`; True is always safe.
    ranked: bool
    track: bool
    # The index of `key` in the records of the frame (`State.names`). Set per frame by `framed`.
    slot: int

    def __init__(
        self,
        plain: bool,
        where: tuple[tuple[int, frozenset[str]], ...],
        element: int,
        component: int | None,
        pair_codes: frozenset[str] | None,
        key: str,
        many: bool,
        priority: int,
        convert: Converter | None,
        parse: int = 0,
        table: dict[str, str] | None = None,
        ranked: bool = True,
        track: bool = True,
        slot: int = 0,
    ) -> None:
        self.plain = plain
        self.where = where
        self.element = element
        self.component = component
        self.pair_codes = pair_codes
        self.key = key
        self.many = many
        self.priority = priority
        self.convert = convert
        self.parse = parse
        self.table = table
        self.ranked = ranked
        self.track = track
        self.slot = slot

    def framed(self, ranked: bool, track: bool, slot: int) -> Step:
        """This pick as one frame runs it (see `ranked`, `track`, `slot`)."""
        return Step(
            self.plain,
            self.where,
            self.element,
            self.component,
            self.pair_codes,
            self.key,
            self.many,
            self.priority,
            self.convert,
            self.parse,
            self.table,
            ranked,
            track,
            slot,
        )


# Final: a compiled build inlines them (a plain module name is a dict look-up per use).
PARSE_CALL: Final = 0
PARSE_DECIMAL: Final = 1
PARSE_CODE: Final = 2
PARSE_DATE: Final = 3


@dataclass(slots=True)
class CScope:
    steps: dict[str, tuple[Step, ...]]  # by tag
    fields: tuple[CField, ...]
    loops: dict[str, CLoop]  # by start tag


# What a segment does to the top frame: capture with these steps, open this loop, or close the frame.
CAPTURE: Final = 0
OPEN: Final = 1
CLOSE: Final = 2


class Action(NamedTuple):
    kind: int
    steps: tuple[Step, ...] = ()
    loop: CLoop | None = None


_IGNORE = Action(CAPTURE)
_CLOSE = Action(CLOSE)


@dataclass(slots=True)
class State:
    """A frame kind: the loop (None at the set level) and the scopes whose fields it reads."""

    loop: CLoop | None
    scopes: tuple[CScope, ...]
    actions: dict[str, Action]  # every tag the map names
    default: Action  # any other tag
    start: tuple[Step, ...]  # the steps for the loop's own start segment
    closing: tuple[CField, ...]  # fields to combine (datetime) or check (required) when it closes
    # Every key a step of the frame writes and every closing field, by its index in the frame's
    # records (`engine.Record.slots`); whether a step of the frame is ranked (records keep ranks).
    names: dict[str, int]
    ranked: bool


@dataclass(slots=True)
class CLoop:
    name: str
    start: str
    members: frozenset[str] | None  # None: every tag but `until`
    until: frozenset[str]
    scope: CScope
    levels: dict[str, tuple[Role, CScope]] | None = None
    allow: frozenset[str] = frozenset()
    plain: State | None = None  # set by `_states`
    level_states: dict[str, tuple[Role, State]] = field(default_factory=dict)

    def holds(self, tag: str) -> bool:
        return tag not in self.until if self.members is None else tag in self.members


@dataclass(frozen=True, slots=True)
class Program:
    """A compiled map: the set-level state and the steps for the envelope segments (ISA, GS, ST)."""

    root: State
    envelope: tuple[tuple[str, tuple[Step, ...]], ...]

    @property
    def scope(self) -> CScope:
        return self.root.scopes[0]


def compile_spec(spec: MapSpec) -> Program:
    """The program of a map: header fields plus top-level loops, as per-tag action tables."""
    scope = _scope(spec.fields, spec.loops, spec.code_tables)
    root = _state(None, (scope,))
    # The root frame's own steps for them (an envelope tag opens no loop: its action captures).
    envelope = tuple((tag, root.actions[tag].steps) for tag in _ENVELOPE if tag in scope.steps)
    return Program(root, envelope)


def _field(name: str, f: FieldSpec, tables: Mapping[str, Mapping[str, str]]) -> CField:
    severity = Severity(f.severity) if f.severity else (Severity.ERROR if f.required else Severity.WARNING)
    table = tables[f.code] if f.code else None
    return CField(
        name=name,
        conversion=f.conversion,
        required=f.required,
        many=f.many,
        severity=severity,
        picks=tuple(parse_pick(p) for p in f.picks),
        time_picks=tuple(parse_pick(p) for p in f.time),
        convert=converter(name, f.conversion, severity, table, f.code),
    )


def _step(f: CField, priority: int, pick: Pick, key: str, table: Mapping[str, str] | None) -> Step:
    convert = f.convert if key == f.name and not f.many else None
    plain = not pick.where and pick.component is None and pick.pair_codes is None and not f.many
    parse = PARSE_CALL
    if convert is not None:
        if table is not None:
            parse = PARSE_CODE
        elif f.conversion == "decimal":
            parse = PARSE_DECIMAL
        elif f.conversion == "date":
            parse = PARSE_DATE
    return Step(
        plain,
        pick.where,
        pick.element,
        pick.component,
        pick.pair_codes,
        key,
        f.many,
        priority,
        convert,
        parse,
        dict(table) if parse == PARSE_CODE and table is not None else None,
    )


def _scope(
    fields: Mapping[str, FieldSpec], loops: Mapping[str, LoopSpec], tables: Mapping[str, Mapping[str, str]]
) -> CScope:
    compiled = tuple(_field(n, f, tables) for n, f in fields.items())
    steps: dict[str, list[Step]] = {}
    for cf, spec in zip(compiled, fields.values(), strict=True):
        table = tables[spec.code] if spec.code else None
        for prio, pick in enumerate(cf.picks):
            steps.setdefault(pick.tag, []).append(_step(cf, prio, pick, cf.name, table))
        for prio, pick in enumerate(cf.time_picks):
            steps.setdefault(pick.tag, []).append(_step(cf, prio, pick, cf.name + TIME_SUFFIX, table))
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
    return CScope({t: tuple(s) for t, s in steps.items()}, compiled, by_start)


def _state(loop: CLoop | None, scopes: tuple[CScope, ...]) -> State:
    """The action table of one frame kind; builds the states of the loops it opens on the way."""
    for child in scopes[0].loops.values():
        if child.plain is None:
            child.plain = _state(child, (child.scope,))
            for code, (role, level) in (child.levels or {}).items():
                child.level_states[code] = (role, _state(child, (child.scope, level)))
    tags = set(scopes[0].loops)
    for scope in scopes:
        tags.update(scope.steps)
    if loop is not None:
        tags.add(loop.start)
        tags.update(loop.until)
        tags.update(loop.members or ())
    closing = tuple(f for s in scopes for f in s.fields if f.conversion == "datetime" or f.required)
    keys = _Keys(scopes, closing)
    actions: dict[str, Action] = {}
    for tag in sorted(tags):
        opened = scopes[0].loops.get(tag)
        if opened is not None:
            actions[tag] = Action(OPEN, (), opened)
        elif loop is None or (tag != loop.start and loop.holds(tag)):
            actions[tag] = Action(CAPTURE, keys.steps(tag))
        else:
            actions[tag] = _CLOSE
    # A tag the map does not name opens nothing and has no steps: it belongs to an `until` loop
    # (and to the set level), and closes a loop that lists its `segments`.
    default = _IGNORE if loop is None or loop.members is None else _CLOSE
    start = keys.steps(loop.start) if loop is not None else ()
    return State(loop, scopes, actions, default, start, closing, keys.slots, bool(keys.ranked))


class _Keys:
    """The steps of one frame kind, with `ranked` and `track` set for that frame: a key is ranked
    when a step of the frame writes it at a priority other than 0, or steps of more than one scope
    write it (the first value written then does not always win); it is tracked when a closing field
    of the frame has that name."""

    def __init__(self, scopes: tuple[CScope, ...], closing: tuple[CField, ...]) -> None:
        self.scopes = scopes
        writers: dict[str, set[int]] = {}
        self.ranked: set[str] = set()
        for i, scope in enumerate(scopes):
            for steps in scope.steps.values():
                for step in steps:
                    writers.setdefault(step.key, set()).add(i)
                    if step.priority != 0:
                        self.ranked.add(step.key)
        self.ranked.update(k for k, w in writers.items() if len(w) > 1)
        self.tracked = {f.name for f in closing}
        self.slots = {
            key: i for i, key in enumerate([*writers, *(f.name for f in closing if f.name not in writers)])
        }

    def steps(self, tag: str) -> tuple[Step, ...]:
        return tuple(
            step.framed(step.key in self.ranked, step.key in self.tracked, self.slots[step.key])
            for scope in self.scopes
            for step in scope.steps.get(tag, ())
        )
