"""The UN/EDIFACT data model shared by the reader, the envelope checks, the writers and the maps
(ISO 9735 syntax versions 1 to 4: service string advice UNA, UNB/UNZ, UNG/UNE, UNH/UNT).

The reader yields a stream of `EdifactItem`s in file order:

    InterchangeOpened   (UNB read)
      GroupOpened       (UNG read)
        Message         (UNH..UNT, with its segments and the issues found in it)
      GroupClosed       (UNE read or missing)
    InterchangeClosed   (UNZ read or missing)

A file of bare messages (UNH..UNT without UNB, as some test files and partners send) yields the
messages alone, with `interchange` None. Only one message is held at a time, so memory grows with
the largest message, not the file.

A segment keeps its elements as raw text with release characters still in place when it has none
(`Segment.elements`), and splits them into components (released) on demand: most segments of a
message are never looked at by a map.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import lru_cache
from typing import NamedTuple

from gateway.formats.issues import Issue

# UNB S001 0001 syntax identifier -> the Python codec its character repertoire is read with.
# UNOA/UNOB are subsets of ASCII (read as latin-1, which accepts any byte, so a stray accented
# letter in an UNOA file is kept rather than refused); UNOC..UNOF are ISO 8859 parts 1, 2, 5, 7;
# UNOW is UTF-8; UNOX is ISO 2022 with escape sequences; UNOY is ISO 10646-1, read as UTF-8.
CHARSETS: dict[str, str] = {
    "UNOA": "latin-1",
    "UNOB": "latin-1",
    "UNOC": "latin-1",
    "UNOD": "iso8859-2",
    "UNOE": "iso8859-5",
    "UNOF": "iso8859-7",
    "UNOG": "iso8859-3",
    "UNOH": "iso8859-4",
    "UNOI": "iso8859-6",
    "UNOJ": "iso8859-8",
    "UNOK": "iso8859-9",
    "UNOW": "utf-8",
    "UNOX": "iso2022_jp_2",
    "UNOY": "utf-8",
}
DEFAULT_CHARSET = "latin-1"
_RELEASE = re.compile(r"^\d\d[A-Z]$")  # a directory release: 96A, 01B


def encoding_of(syntax: str) -> str:
    """The codec text in syntax identifier `syntax` is written with (`DEFAULT_CHARSET` when unknown)."""
    return CHARSETS.get(syntax.upper(), DEFAULT_CHARSET)


def encode(text: str, syntax: str) -> bytes:
    """An interchange's text as bytes in its repertoire; a character outside it becomes "?" (the
    writer's callers keep to the partner's repertoire, this is the last resort)."""
    return text.encode(encoding_of(syntax), errors="replace")


_UNB_SYNTAX = re.compile(r"UNB.(UNO[A-Z])", re.S)


def syntax_of(text: str) -> str:
    """The syntax identifier of the first UNB in `text` (its first 300 characters), or "" when none."""
    found = _UNB_SYNTAX.search(text[:300])
    return found.group(1) if found else ""


@dataclass(frozen=True, slots=True)
class ServiceChars:
    """The service characters (UNA, or the defaults of ISO 9735 when there is none)."""

    component: str = ":"
    element: str = "+"
    decimal: str = "."
    release: str = "?"
    repetition: str = "*"  # UNA5: reserved (a blank) before syntax version 4, the repetition separator from 4
    segment: str = "'"

    def una(self) -> str:
        """The service string advice that declares these characters."""
        return f"UNA{self.component}{self.element}{self.decimal}{self.release}{self.repetition}{self.segment}"


DEFAULT_CHARS = ServiceChars()


def unescape(text: str, release: str) -> str:
    """Drop each release character, keeping the character it releases."""
    if release not in text:
        return text
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == release and i + 1 < n:
            out.append(text[i + 1])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def split_released(text: str, sep: str, release: str) -> list[str]:
    """`text` split on `sep`, except where a release character precedes it (released characters kept
    with their release character, for the next split to see)."""
    if release not in text:
        return text.split(sep)
    parts: list[str] = []
    start, i, n = 0, 0, len(text)
    while i < n:
        ch = text[i]
        if ch == release:
            i += 2
            continue
        if ch == sep:
            parts.append(text[start:i])
            start = i + 1
        i += 1
    parts.append(text[start:])
    return parts


class Segment(NamedTuple):
    """One segment: its tag, its elements as written (release characters in place), where it was found.

    A NamedTuple, as in the X12 model: the reader builds one per segment.
    """

    tag: str
    elements: tuple[str, ...]
    position: int = 0  # 1-based: within the message (UNH = 1) for message segments, the file otherwise
    offset: int = 0  # character offset of the segment in the decoded file

    def components(self, n: int, chars: ServiceChars) -> tuple[str, ...]:
        """Element `n` (1-based) as its components, released; () when absent."""
        if not 0 < n <= len(self.elements):
            return ()
        raw = self.elements[n - 1]
        rel = chars.release
        return tuple(unescape(c, rel) for c in split_released(raw, chars.component, rel))

    def get(self, n: int, component: int = 1, chars: ServiceChars = DEFAULT_CHARS) -> str:
        """Component `component` of element `n` (both 1-based), released; "" when absent."""
        parts = self.components(n, chars)
        return parts[component - 1] if 0 < component <= len(parts) else ""


@dataclass(frozen=True, slots=True)
class InterchangeHeader:
    """What the UNB says (ISO 9735 UNB: S001..0035)."""

    syntax_id: str  # S001 0001, UNOA..UNOY
    syntax_version: str  # S001 0002, "1".."4"
    sender_id: str  # S002 0004
    sender_qualifier: str  # S002 0007
    recipient_id: str  # S003 0010
    recipient_qualifier: str  # S003 0007
    date: str  # S004 0017, YYMMDD (CCYYMMDD from syntax 4)
    time: str  # S004 0019, HHMM
    control_reference: str  # 0020
    application_reference: str  # 0026
    ack_request: str  # 0031: "1" asks for a CONTRL
    test_indicator: str  # 0035: "1" marks a test interchange
    chars: ServiceChars
    una: bool = False  # a service string advice was present
    offset: int = 0
    index: int = 0  # 0-based index of the interchange in the file

    @property
    def is_test(self) -> bool:
        return self.test_indicator == "1"

    def prepared_at(self) -> datetime | None:
        return parse_edifact_datetime(self.date + self.time)


@dataclass(frozen=True, slots=True)
class GroupHeader:
    """What the UNG says (functional group)."""

    group_id: str  # 0038, the message type the group carries
    sender_id: str  # S006 0040
    recipient_id: str  # S007 0044
    date: str  # S004 0017
    time: str  # S004 0019
    reference: str  # 0048
    position: int = 0


class MessageId(NamedTuple):
    """UNH S009: message type, version, release, agency, association assigned code (a NamedTuple:
    one is made per message, see `Message`)."""

    type: str  # 0065, e.g. "ORDRSP"
    version: str  # 0052, "D" (or "1" for old UNSMs, "4" for CONTRL in syntax 4)
    release: str  # 0054, "96A"
    agency: str  # 0051, "UN"
    association: str = ""  # 0057, e.g. "EAN008"

    @property
    def directory(self) -> str:
        """The directory the message follows, as the maps name it: "D96A", "D01B". A UN message whose
        0052 is not "D" but whose 0054 is a directory release (`DESADV:0:96A`), or whose two are swapped
        (`INVOIC:93A:D`), is read as that directory (the envelope notes it)."""
        version, release = self.version.upper(), self.release.upper()
        if version != "D" and _RELEASE.match(release):
            return f"D{release}"
        if release == "D" and _RELEASE.match(version):
            return f"D{version}"
        return f"{version}{release}"

    @property
    def regular(self) -> bool:
        """0052 and 0054 are as the UN directories write them (a directory in any other shape is
        still read: see `directory`)."""
        return not (_RELEASE.match(self.release.upper()) or _RELEASE.match(self.version.upper())) or (
            self.version.upper() == "D" and bool(_RELEASE.match(self.release.upper()))
        )


class Message(NamedTuple):
    """One message (UNH..UNT inclusive) and everything found while reading it.

    A NamedTuple: the reader makes one per message, and a tuple is made with one C call where a
    frozen dataclass runs an interpreted __init__ (14k instructions a message, measured with
    callgrind on the bench file).
    """

    interchange: InterchangeHeader | None  # None for a bare message (no UNB in the file)
    group: GroupHeader | None
    reference: str  # UNH 0062
    id: MessageId
    segments: tuple[Segment, ...]  # UNH first, UNT last when present
    chars: ServiceChars
    issues: tuple[Issue, ...] = ()
    index: int = 0  # type: ignore[assignment]  # 0-based index within its interchange or group (shadows tuple.index)
    ordinal: int = 0  # 0-based index within the whole file (for document ids)

    @property
    def is_test(self) -> bool:
        return self.interchange is not None and self.interchange.is_test


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
    declared_count: int | None  # UNE 0060
    count: int  # messages read in the group
    issues: tuple[Issue, ...] = ()


@dataclass(frozen=True, slots=True)
class InterchangeClosed:
    header: InterchangeHeader
    declared_count: int | None  # UNZ 0036
    count: int  # groups when the interchange has groups, else messages
    issues: tuple[Issue, ...] = ()  # interchange-level issues


EdifactItem = InterchangeOpened | GroupOpened | Message | GroupClosed | InterchangeClosed


@lru_cache(maxsize=4096)
def parse_edifact_date(value: str) -> date | None:
    """A DTM value as a date: CCYYMMDD (format 102) or CCYYMMDDHHMM[SS] (203, 204) or YYMMDD (101);
    None when unreadable. YY below 50 is 20YY."""
    v = value.strip()
    if not v.isdigit():
        return None
    try:
        if len(v) in (8, 12, 14):
            return date(int(v[:4]), int(v[4:6]), int(v[6:8]))
        if len(v) in (6, 10):
            yy = int(v[:2])
            return date(2000 + yy if yy < 50 else 1900 + yy, int(v[2:4]), int(v[4:6]))
    except ValueError:
        return None
    return None


@lru_cache(maxsize=4096)
def parse_edifact_datetime(value: str) -> datetime | None:
    """A date with an optional HHMM[SS] after it (UNB S004 date+time, DTM 203/204) as UTC (EDIFACT
    carries no zone in these formats); None when unreadable."""
    v = value.strip()
    day = parse_edifact_date(v[:8] if len(v) in (8, 12, 14) else v[:6])
    if day is None:
        return None
    clock = v[8:] if len(v) in (12, 14) else v[6:] if len(v) == 10 else ""
    try:
        at = time(int(clock[:2]), int(clock[2:4]), int(clock[4:6] or 0)) if clock else time(0, 0)
    except ValueError:
        return None
    return datetime.combine(day, at, tzinfo=UTC)
