"""Extract a `Record` tree from one X12 transaction set with a compiled map (see `compile.py`).

Follows the X12 loop rules (a loop starts at its first segment and lasts while the segments belong to
it; the start tag again opens a sibling) and the 856 HL convention (fields chosen by HL03).

Speed: a segment costs one dict lookup in the action table of the top frame (one more per frame it
closes), plus the steps registered for its tag there. Nothing is compiled per document.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Final

from gateway.formats.issues import Issue, IssueCode, Location, Severity
from gateway.formats.tree import Node
from gateway.formats.x12.model import (
    GroupHeader,
    InterchangeHeader,
    Segment,
    SegmentList,
    TransactionSet,
    parse_x12_date,
    parse_x12_datetime,
)
from gateway.formats.x12.runs import split_runs
from gateway.mapping.compile import (
    CAPTURE,
    OPEN,
    PARSE_CALL,
    PARSE_CODE,
    PARSE_DECIMAL,
    TIME_SUFFIX,
    CField,
    CLoop,
    Program,
    State,
    Step,
)
from gateway.mapping.conversions import Anchor, Value, bad_datetime, finite_decimal
from gateway.mapping.spec import Role

__all__ = ["Extraction", "Record"]

# The classes the accessors test for, as C statics in a compiled build (an imported class is a
# module dict look-up at every use).
_DECIMAL: Final = Decimal
_DATE: Final = date
_DATETIME: Final = datetime


_NO_RANK: Final = 1 << 30  # `Record.ranks` of a slot no value was written to (any priority beats it)
_NO_RANKS: Final[list[int]] = []  # the ranks of a frame none of whose keys is ranked (never indexed)


@dataclass(slots=True, init=False)
class Record:
    """What one scope (the set header, a loop instance, an HL node; in tree documents, the node a
    loop iterates) yielded. The tree engine (`tree_engine.py`) fills `start`, the slots and `loops`.

    Values are positional: `names` (the frame kind's, shared by its records and never changed) gives
    each key the engine may write its index in `slots` (None: no value). A value is then stored and
    tested by index, not by hashing its name into a dict of the record's own (which also grew as
    the values came in). `ranks` holds the priority of the pick that wrote each ranked slot."""

    level: str  # HL03 for hierarchy nodes
    role: Role | None
    names: dict[str, int]
    slots: list[Value | None]
    ranks: list[int]
    # Where a tracked key's value (`sources`) or its empty element (`empty`) was found: the segment
    # (an index for `Extraction.anchor`) and the element.
    sources: dict[str, tuple[int, int]]
    empty: dict[str, tuple[int, int]]
    loops: dict[str, list[Record]]
    # The start is made when something asks for it (`start`): an X12 loop instance knows its
    # segment by index (`at`, in the run `made_by`), and most are never reported on.
    opening: Anchor | None
    at: int
    made_by: Extraction | None

    def __init__(
        self,
        start: Anchor | None = None,
        names: dict[str, int] | None = None,
        ranked: bool = False,
    ) -> None:
        # Written out (not generated): one is made per loop instance, and a compiled build makes a
        # handwritten __init__ native.
        self.opening = start
        self.at = 0
        self.made_by = None
        self.level = ""
        self.role = None
        if names is None:
            names = {}
        self.names = names
        size = len(names)
        self.slots = [None] * size
        self.ranks = [_NO_RANK] * size if ranked else _NO_RANKS
        self.sources = {}
        self.empty = {}
        self.loops = {}

    @property
    def start(self) -> Anchor | None:
        """The segment (tree node) that opened this scope; None for the set (document) itself."""
        found = self.opening
        if found is None and self.made_by is not None:
            found = self.opening = self.made_by.anchor(self.at)
        return found

    def get(self, name: str) -> Value | None:
        i = self.names.get(name)
        return None if i is None else self.slots[i]

    def put(self, name: str, value: Value) -> None:
        """Store the value of `name`, one of the frame's names."""
        self.slots[self.names[name]] = value

    def text(self, name: str) -> str | None:
        i = self.names.get(name)
        if i is None:
            return None
        v = self.slots[i]
        return v if isinstance(v, str) else None

    def texts(self, name: str) -> list[str]:
        i = self.names.get(name)
        if i is None:
            return []
        v = self.slots[i]
        return v if isinstance(v, list) else []

    def decimal(self, name: str) -> Decimal | None:
        i = self.names.get(name)
        if i is None:
            return None
        v = self.slots[i]
        return v if isinstance(v, _DECIMAL) else None

    def integer(self, name: str) -> int | None:
        v = self.get(name)
        return v if isinstance(v, int) and not isinstance(v, bool) else None

    def day(self, name: str) -> date | None:
        i = self.names.get(name)
        if i is None:
            return None
        v = self.slots[i]
        return v if isinstance(v, _DATE) and not isinstance(v, _DATETIME) else None

    def moment(self, name: str) -> datetime | None:
        v = self.get(name)
        return v if isinstance(v, _DATETIME) else None

    def children(self, loop: str) -> list[Record]:
        return self.loops.get(loop, [])


class Extraction:
    """One run of a compiled map over one transaction set; collects issues as it goes."""

    def __init__(self, ts: TransactionSet, file: str | None = None) -> None:
        self.ts = ts
        self.component = ts.delimiters.component
        self.file = file
        self.issues: list[Issue] = []
        # What `anchor` makes segments from: the envelope segments the map reads (index -1 - j), and
        # the body, as the reader's texts (`_pieces` at `_starts`, split by `_el`) or as segments.
        self._envelope: list[Segment] = []
        self._pieces: list[str] = []
        self._starts: list[int] = []
        self._el = ""
        self._body: tuple[Segment, ...] = ()

    def anchor(self, at: int) -> Segment:
        """The segment at index `at` of the body (position at + 2: ST is 1), or, for at < 0, the
        envelope segment -1 - at: made only when an issue or a record's `start` needs it."""
        if at < 0:
            return self._envelope[-1 - at]
        if self._pieces:
            return _segment(self._pieces[at], self._el, at + 2, self._starts[at])
        return self._body[at]

    def issue(
        self,
        code: IssueCode,
        severity: Severity,
        seg: Anchor | None,
        message: str,
        *,
        element: int | None = None,
        tag: str | None = None,
        bad_value: str | None = None,
    ) -> None:
        ts = self.ts
        segment = seg if isinstance(seg, Segment) else None
        loc = Location(
            file=self.file,
            interchange=ts.interchange.control_number,
            group=ts.group.control_number if ts.group is not None else None,
            transaction=ts.control_number,
            segment_position=segment.position if segment is not None and segment.position > 0 else None,
            segment_tag=tag or (segment.tag if segment is not None else None),
            element=element,
            path=seg.path if isinstance(seg, Node) else None,
        )
        self.issues.append(Issue(code, severity, loc, message, bad_value))

    def label(self, seg: Anchor, element: int) -> str:
        return f"{seg.tag}{element:02d}" if isinstance(seg, Segment) else seg.path

    def run(self, program: Program) -> Record:
        state = program.root
        rec = Record(None, state.names, state.ranked)
        for seg, steps in _envelope(self.ts, program.envelope):
            self._envelope.append(seg)
            # a native call in a compiled build (a bound method is not)
            self._capture(steps, rec, [seg[0], *seg[1]], -len(self._envelope))
        actions, default = state.actions, state.default
        stack: list[tuple[State, Record]] = []
        cur = rec
        # The body as the reader's text when it is not split yet: a segment is split into elements
        # only when the map reads it (captures from it or opens a loop with it), else only its tag is
        # cut; no `Segment` is made for it unless an issue or a record's start asks (`anchor`).
        # Otherwise the segments as they are.
        segs = self.ts.segments
        text = segs.body_text() if isinstance(segs, SegmentList) else None
        if text is not None:
            runs, el = text
            pieces, starts = split_runs(runs)
            self._pieces, self._starts, self._el = pieces, starts, el
            body: tuple[Segment, ...] = ()
            n = len(pieces)
        else:
            pieces, el = [], ""
            body = self._body = self.ts.body
            n = len(body)
        for i in range(n):
            els = _UNSPLIT  # the segment's tag and elements, once split
            if text is not None:
                piece = pieces[i]
                cut = piece.find(el)
                tag = piece if cut < 0 else piece[:cut]
            else:
                seg = body[i]
                tag = seg[0]
            while True:
                kind, steps, loop = actions.get(tag, default)
                if kind == CAPTURE:
                    if steps:
                        if els is _UNSPLIT:
                            els = pieces[i].split(el) if text is not None else [tag, *body[i][1]]
                        self._capture(steps, cur, els, i)
                    break
                if kind == OPEN:
                    assert loop is not None
                    if els is _UNSPLIT:
                        els = pieces[i].split(el) if text is not None else [tag, *body[i][1]]
                    stack.append((state, cur))
                    state, cur = self._open(loop, els, i, cur)
                    actions, default = state.actions, state.default
                    break
                self._close(state, cur)
                state, cur = stack.pop()
                actions, default = state.actions, state.default
        self._close(state, cur)
        while stack:
            self._close(*stack.pop())
        return rec

    def _open(self, loop: CLoop, els: list[str], at: int, parent: Record) -> tuple[State, Record]:
        """A loop instance opened by the segment at body index `at` (`els`: its tag and elements)."""
        state = loop.plain
        assert state is not None
        if loop.levels is None:
            rec = Record(None, state.names, state.ranked)
        else:
            level = els[3].strip() if len(els) > 3 else ""
            found = loop.level_states.get(level)
            role: Role | None = None
            if found is not None:
                role, state = found
            elif level in loop.allow:
                role = "other"
            else:
                self.issue(
                    IssueCode.HIERARCHY_INVALID,
                    Severity.WARNING,
                    self.anchor(at),
                    f"HL level code {level!r} is neither mapped nor allowed; its segments are ignored",
                    element=3,
                    bad_value=level,
                )
            rec = Record(None, state.names, state.ranked)
            rec.level = level
            rec.role = role
        rec.at = at
        rec.made_by = self
        siblings = parent.loops.get(loop.name)
        if siblings is None:
            parent.loops[loop.name] = [rec]
        else:
            siblings.append(rec)
        if state.start:
            self._capture(state.start, rec, els, at)
        return state, rec

    def _close(self, state: State, rec: Record) -> None:
        slots, names = rec.slots, state.names
        for f in state.closing:
            i = names[f.name]
            if f.conversion == "datetime" and slots[i] is not None:
                self._combine(f, rec, i)
            if f.required and not slots[i]:
                self._missing(f, rec)

    def _combine(self, f: CField, rec: Record, i: int) -> None:
        slots = rec.slots
        raw = slots[i]
        t: Value = ""
        at = rec.names.get(f.name + TIME_SUFFIX)
        if at is not None and (held := slots[at]) is not None:
            t, slots[at] = held, None
        assert isinstance(raw, str)
        assert isinstance(t, str)
        value = parse_x12_datetime(raw, t)
        if value is None:  # reported where its date was found (the segment made only then)
            at, el = rec.sources[f.name]
            bad_datetime(self, f.name, f.severity, raw, self.anchor(at), el)
        slots[i] = value

    def _missing(self, f: CField, rec: Record) -> None:
        if f.name in rec.empty:
            at, el = rec.empty[f.name]
            seg = self.anchor(at)
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

    def _capture(self, steps: tuple[Step, ...], rec: Record, els: list[str], at: int) -> None:
        """Run `steps` on the segment at `at` (see `anchor`): `els` holds its tag, then element 1 on."""
        n = len(els) - 1  # the number of elements
        slots, ranks, sources = rec.slots, rec.ranks, rec.sources
        pairs: list[tuple[str, int, str]] = []
        pairs_from = 0  # the element `pairs` was read from (0: not read yet)
        for step in steps:
            slot = step.slot
            ranked = step.ranked
            if step.plain:  # the common case, kept short: a whole element, no condition, one value
                if ranked:
                    if ranks[slot] <= step.priority:
                        continue
                elif slots[slot] is not None:  # the only priority is 0: the first value written wins
                    continue
                el = step.element
                raw = els[el].strip() if el <= n else ""
                if not raw:
                    if step.track:
                        rec.empty.setdefault(step.key, (at, el))
                    continue
            else:
                where = step.where
                if where:
                    matched = True
                    for wel, wcodes in where:
                        if wel > n or els[wel].strip() not in wcodes:
                            matched = False
                            break
                    if not matched:
                        continue
                many = step.many
                if not many:
                    if ranked:
                        if ranks[slot] <= step.priority:
                            continue
                    elif slots[slot] is not None:
                        continue
                el = step.element
                codes = step.pair_codes
                if codes is not None:
                    if pairs_from != el:
                        pairs, pairs_from = _pairs(els, el), el
                    found = pairs
                    if many:
                        raws = [v for q, _, v in found if q in codes]
                        if not raws:
                            continue
                        el = next(e for q, e, _ in found if q in codes)
                    else:
                        for q, e, v in found:
                            if q in codes:
                                el, raw = e, v
                                break
                        else:
                            continue
                else:
                    raw = els[el] if el <= n else ""
                    comp = step.component
                    if comp is not None:
                        parts = raw.split(self.component)
                        raw = parts[comp - 1] if comp <= len(parts) else ""
                    raw = raw.strip()
                    if not raw:
                        if step.track:
                            rec.empty.setdefault(step.key, (at, el))
                        continue
                    if many:
                        raws = [raw]
                if many:
                    bucket = slots[slot]
                    if bucket is None:
                        slots[slot] = bucket = []
                    assert isinstance(bucket, list)
                    bucket.extend(raws)
                    if step.track:
                        sources.setdefault(step.key, (at, el))
                    continue
            value: Value | None
            convert = step.convert
            if convert is None:
                value = raw
            else:
                parse = step.parse
                if parse == PARSE_CALL:
                    value = convert(self, raw, self.anchor(at), el)
                else:  # read here; `convert` reports what cannot be read
                    if parse == PARSE_DECIMAL:
                        value = finite_decimal(raw)
                    elif parse == PARSE_CODE:
                        table = step.table
                        assert table is not None
                        value = table.get(raw)
                    else:
                        value = _parse_date(raw)
                    if value is None:
                        convert(self, raw, self.anchor(at), el)
            if step.track:
                sources[step.key] = (at, el)
            if value is not None:
                slots[slot] = value
                if ranked:
                    ranks[slot] = step.priority


_new: Final = tuple.__new__
_SEGMENT: Final = Segment  # a C static in a compiled build (the class itself is a module dict look-up)
_parse_date: Final = parse_x12_date  # a C static in a compiled build, not a module dict look-up
_UNSPLIT: Final[list[str]] = []  # a body segment not split yet (tested by identity)


def _segment(text: str, separator: str, position: int, offset: int) -> Segment:
    """One body segment from the reader's text (as `SegmentList.segments` makes it)."""
    els = text.split(separator)
    # tuple.__new__: calling the NamedTuple class runs its Python-level __new__ (several times dearer)
    return _new(_SEGMENT, (els[0], tuple(els[1:]), position, offset))


def _pairs(els: list[str], start: int) -> list[tuple[str, int, str]]:
    """(qualifier, value element, value) for every qualifier/value pair from element `start` on whose
    value is not empty (`els`: the tag, then element 1 on)."""
    out = []
    for i in range(start, len(els) - 1, 2):
        if v := els[i + 1].strip():
            out.append((els[i].strip(), i + 1, v))
    return out


def _envelope(
    ts: TransactionSet, wanted: tuple[tuple[str, tuple[Step, ...]], ...]
) -> list[tuple[Segment, tuple[Step, ...]]]:
    """ISA, GS and ST as segments with their steps, those the map reads (position 0: they sit outside
    the set's body)."""
    out: list[tuple[Segment, tuple[Step, ...]]] = []
    for tag, steps in wanted:
        if tag == "ISA":
            out.append((_isa(ts.interchange), steps))
        elif tag == "GS" and (g := ts.group) is not None:
            out.append((_gs(g), steps))
        elif tag == "ST" and ts.segments and ts.segments[0].tag == "ST":
            out.append((ts.segments[0], steps))
    return out


# The sets of an interchange (a group) share its ISA (GS): the last one made is kept.
_last_isa: tuple[InterchangeHeader, Segment] | None = None
_last_gs: tuple[GroupHeader, Segment] | None = None


def _isa(i: InterchangeHeader) -> Segment:
    global _last_isa
    last = _last_isa
    if last is not None and last[0] is i:
        return last[1]
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
    _last_isa = (i, isa)
    return isa


def _gs(g: GroupHeader) -> Segment:
    global _last_gs
    last = _last_gs
    if last is not None and last[0] is g:
        return last[1]
    gs = Segment(
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
    _last_gs = (g, gs)
    return gs
