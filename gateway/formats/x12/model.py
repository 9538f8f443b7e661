"""The X12 data model shared by the reader, the writer, the ack writers and the maps.

The reader yields a stream of `X12Item`s in file order:

    InterchangeOpened  (ISA read)
      GroupOpened      (GS read)
        TransactionSet (ST..SE, with its segments and the issues found in it)
        ...
      GroupClosed      (GE read or missing; counts and group-level issues)
      ...
    InterchangeClosed  (IEA read or missing; counts and interchange-level issues)
    TA1Received        (a TA1 directly inside an interchange)

Only one transaction set is held at a time, so memory grows with the largest set, not the file.

Elements are kept as raw strings (`Segment.elements[0]` is element 01). Composites and repetitions
are split on demand with the interchange's `Delimiters`. The reader keeps the segments of a set's
body as their text until something looks at them (`SegmentList`): reading and checking the envelopes
needs only ST and SE, and a map splits the elements once, when it first reads the set.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from functools import lru_cache
from itertools import count, repeat
from typing import Final, NamedTuple, overload

from gateway.formats.issues import Issue
from gateway.formats.x12.runs import Run, count_runs, split_runs


@dataclass(frozen=True, slots=True)
class Delimiters:
    """The four X12 delimiters, as read from (or to be written into) the ISA segment."""

    element: str = "*"
    segment: str = "~"
    component: str = ":"
    repetition: str | None = "^"  # ISA11 from 00402 on; None before


DEFAULT_DELIMITERS = Delimiters()


class Segment(NamedTuple):
    """One segment: its tag, its elements (raw strings) and where it was found.

    A NamedTuple rather than a dataclass: the reader builds one per segment, and a tuple costs
    about half as much to create (measured on the 20 MB 856 bench file), which is most of the
    codec's time after `str.split`.
    """

    tag: str
    elements: tuple[str, ...]
    position: int = 0  # 1-based; within the set for set segments (ST = 1), within the file otherwise
    offset: int = 0  # character offset of the segment's first character in the decoded file

    def get(self, n: int) -> str:
        """Element `n` (1-based, as in BAK03 -> get(3)); "" when absent."""
        return self.elements[n - 1] if 0 < n <= len(self.elements) else ""

    def components(self, n: int, delimiters: Delimiters) -> tuple[str, ...]:
        """Element `n` split into components (a simple element gives one component)."""
        return tuple(self.get(n).split(delimiters.component))

    def repetitions(self, n: int, delimiters: Delimiters) -> tuple[str, ...]:
        """Element `n` split into repetitions (when the interchange declares a repetition separator)."""
        value = self.get(n)
        if delimiters.repetition is None or not value:
            return (value,)
        return tuple(value.split(delimiters.repetition))


_new = tuple.__new__


class SegmentList(Sequence[Segment]):
    """The segments of one transaction set: ST and SE as `Segment`s, the body as the text the reader
    cut (runs of whole segments with the offset each starts at; see `Run`).

    The body is split into segments and elements on first access, then kept; it behaves as the
    tuple of all the set's segments (ST first, SE last when present) and compares equal to that
    tuple. Reading and checking the envelopes needs only ST, SE and the number of segments, so a set
    nothing reads is never split at all.
    """

    __slots__ = ("_done", "_first", "_last", "_runs", "_separator", "_size")

    def __init__(
        self, first: Segment, runs: list[Run], last: Segment | None, separator: str, body: int | None = None
    ) -> None:
        """`body`: how many segments `runs` hold, when the caller knows (else they are counted)."""
        self._first = first
        self._runs: list[Run] | None = runs
        self._last = last
        self._separator = separator
        self._size = 1 + (count_runs(runs) if body is None else body) + (last is not None)
        self._done: tuple[Segment, ...] | None = None

    def body_text(self) -> tuple[list[Run], str] | None:
        """The body as the reader cut it (its runs and the element separator), while it is not split
        into elements yet (else None): for readers that split only the segments they look at. The
        body segment at index i is `Segment` of `split_runs(runs)[0][i].split(separator)`, at
        position i + 2."""
        runs = self._runs
        if runs is None:
            return None
        return runs, self._separator

    def last_body_tag(self) -> str | None:
        """The tag of the last body segment (None without a body), without splitting the body."""
        runs = self._runs
        if runs is None:
            body = self.segments()[1 : self._size - (self._last is not None)]
            return body[-1].tag if body else None
        if not runs:
            return None
        text, _, sep = runs[-1]
        return (text.rpartition(sep)[2] if sep else text).partition(self._separator)[0]

    def segments(self) -> tuple[Segment, ...]:
        done = self._done
        if done is None:
            runs = self._runs
            assert runs is not None
            pieces, starts = split_runs(runs)
            splits = list(map(str.split, pieces, repeat(self._separator)))
            tags = map(list.pop, splits, repeat(0))
            body = map(_new, repeat(Segment), zip(tags, map(tuple, splits), count(2), starts))
            last = self._last
            done = self._done = (self._first, *body) if last is None else (self._first, *body, last)
            self._runs = None
        return done

    def __len__(self) -> int:
        return self._size

    @overload
    def __getitem__(self, index: int) -> Segment: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Segment, ...]: ...
    def __getitem__(self, index: int | slice) -> Segment | tuple[Segment, ...]:
        if isinstance(index, int) and self._runs is not None:
            if index == 0 or index == -len(self):
                return self._first
            if self._last is not None and index in (-1, len(self) - 1):
                return self._last
        return self.segments()[index]

    def __iter__(self) -> Iterator[Segment]:
        return iter(self.segments())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SegmentList):
            return self.segments() == other.segments()
        if isinstance(other, tuple):
            return self.segments() == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.segments())

    def __repr__(self) -> str:
        return repr(self.segments())

    def __reduce__(self) -> tuple[object, ...]:
        return (tuple, (self.segments(),))


@dataclass(frozen=True, slots=True)
class InterchangeHeader:
    """What the ISA says."""

    authorization_qualifier: str  # ISA01
    authorization: str  # ISA02
    security_qualifier: str  # ISA03
    security: str  # ISA04
    sender_qualifier: str  # ISA05
    sender_id: str  # ISA06 (trailing blanks stripped)
    receiver_qualifier: str  # ISA07
    receiver_id: str  # ISA08 (trailing blanks stripped)
    date: str  # ISA09 YYMMDD
    time: str  # ISA10 HHMM
    standards_id: str  # ISA11 as written (repetition separator from 00402, else "U")
    version: str  # ISA12, e.g. "00401", "00501"
    control_number: str  # ISA13
    ack_requested: str  # ISA14, "1" asks for a TA1
    usage: str  # ISA15, "P" production or "T" test
    delimiters: Delimiters
    offset: int = 0  # character offset of "ISA" in the file
    index: int = 0  # 0-based index of the interchange in the file

    @property
    def is_test(self) -> bool:
        return self.usage == "T"

    def prepared_at(self) -> datetime | None:
        """ISA09/ISA10 as a UTC datetime, or None when unreadable."""
        return parse_x12_datetime(self.date, self.time)


@dataclass(frozen=True, slots=True)
class GroupHeader:
    """What the GS says."""

    functional_id: str  # GS01, e.g. "PR" for 855
    application_sender: str  # GS02
    application_receiver: str  # GS03
    date: str  # GS04 CCYYMMDD (YYMMDD before 4010)
    time: str  # GS05 HHMM[SS[d..]]
    control_number: str  # GS06
    agency: str  # GS07, "X"
    version: str  # GS08, e.g. "004010", "005010X230"
    position: int = 0  # segment position of GS in the file
    index: int = 0  # 0-based index of the group within its interchange

    def prepared_at(self) -> datetime | None:
        return parse_x12_datetime(self.date, self.time)


class TransactionSet(NamedTuple):
    """One transaction set (ST..SE inclusive) and everything found while reading it.

    A NamedTuple, as `Segment` is: the reader makes one per set, and a tuple is made with one C call
    where a frozen dataclass needs one attribute store per field (measured: a fifth of the reader's
    time on the 855 bench file).
    """

    interchange: InterchangeHeader
    group: GroupHeader | None
    set_id: str  # ST01, e.g. "855"
    control_number: str  # ST02
    segments: Sequence[Segment]  # ST first, SE last when present (a tuple, or the reader's SegmentList)
    issues: tuple[Issue, ...] = ()
    implementation_reference: str = ""  # ST03 (5010)
    index: int = 0  # type: ignore[assignment]  # 0-based index of the set within its group (shadows tuple.index)
    ordinal: int = 0  # 0-based index of the set within the whole file (for document ids)

    @property
    def version(self) -> str:
        """The release the set follows: GS08 when there is a group, else ISA12."""
        return self.group.version if self.group is not None else self.interchange.version

    @property
    def delimiters(self) -> Delimiters:
        return self.interchange.delimiters

    @property
    def body(self) -> tuple[Segment, ...]:
        """The segments between ST and SE."""
        segs = self.segments
        if isinstance(segs, SegmentList):
            segs = segs.segments()
        start = 1 if segs and segs[0].tag == "ST" else 0
        end = len(segs) - 1 if segs and segs[-1].tag == "SE" else len(segs)
        return tuple(segs[start:end])


@dataclass(frozen=True, slots=True)
class InterchangeOpened:
    header: InterchangeHeader


@dataclass(frozen=True, slots=True)
class GroupOpened:
    interchange: InterchangeHeader
    header: GroupHeader


@dataclass(frozen=True, slots=True)
class GroupClosed:
    interchange: InterchangeHeader
    header: GroupHeader
    declared_set_count: int | None  # GE01, None when GE is missing or unreadable
    declared_control_number: str | None  # GE02
    set_count: int  # sets actually read
    set_control_numbers: tuple[str, ...]  # ST02 of each set read, in order
    issues: tuple[Issue, ...] = ()  # group-level issues


@dataclass(frozen=True, slots=True)
class InterchangeClosed:
    header: InterchangeHeader
    declared_group_count: int | None  # IEA01
    declared_control_number: str | None  # IEA02
    group_count: int
    issues: tuple[Issue, ...] = ()  # interchange-level issues


@dataclass(frozen=True, slots=True)
class TA1Received:
    interchange: InterchangeHeader
    segment: Segment


X12Item = InterchangeOpened | GroupOpened | TransactionSet | GroupClosed | InterchangeClosed | TA1Received


@dataclass(slots=True)
class WriterEnvelope:
    """Everything the writer needs to put a set in an interchange, per partner."""

    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    version: str = "00401"  # ISA12
    gs_version: str = "004010"  # GS08
    application_sender: str = ""
    application_receiver: str = ""
    usage: str = "P"
    ack_requested: str = "0"
    delimiters: Delimiters = field(default_factory=Delimiters)


# The dates read, by their text (see `parse_x12_date`).
_DATES: Final[dict[str, date]] = {}
_DATES_KEPT: Final = 4096
# The date-times read, by the texts of their date and time (see `parse_x12_datetime`).
_DATETIMES: Final[dict[tuple[str, str], datetime]] = {}


def parse_x12_date(value: str) -> date | None:
    """CCYYMMDD or YYMMDD to a date; None when empty or invalid (YY below 50 is 20YY)."""
    # Kept by text: a document repeats its few dates over and over, and a date is immutable (a dict
    # rather than lru_cache: a compiled build then calls this natively, where the cache's wrapper
    # is a Python-level call).
    kept = _DATES.get(value)
    if kept is not None:
        return kept
    if not value.isdigit():
        return None
    try:
        if len(value) == 8:
            day = date(int(value[:4]), int(value[4:6]), int(value[6:8]))
        elif len(value) == 6:
            yy = int(value[:2])
            day = date(2000 + yy if yy < 50 else 1900 + yy, int(value[2:4]), int(value[4:6]))
        else:
            return None
    except ValueError:
        return None
    if len(_DATES) >= _DATES_KEPT:
        _DATES.clear()
    _DATES[value] = day
    return day


@lru_cache(maxsize=4096)  # a document repeats its few dates over and over; the values are immutable
def parse_x12_time(value: str) -> time | None:
    """HHMM, HHMMSS or HHMMSSd.. to a time; None when empty or invalid."""
    digits = value[:6]
    if len(digits) not in (4, 6) or not digits.isdigit():
        return None
    try:
        return time(int(digits[:2]), int(digits[2:4]), int(digits[4:6] or 0))
    except ValueError:
        return None


def parse_x12_datetime(d: str, t: str) -> datetime | None:
    """An X12 date and optional time, read as UTC (X12 carries no zone); None when the date is unreadable."""
    # Kept by text, as `parse_x12_date` keeps dates (a dict: an lru_cache wrapper is a Python-level
    # call from a compiled build).
    key = (d, t)
    kept = _DATETIMES.get(key)
    if kept is not None:
        return kept
    day = parse_x12_date(d)
    if day is None:
        return None
    value = datetime.combine(day, parse_x12_time(t) or time(0, 0), tzinfo=UTC)
    if len(_DATETIMES) >= _DATES_KEPT:
        _DATETIMES.clear()
    _DATETIMES[key] = value
    return value
