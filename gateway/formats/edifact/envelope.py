"""The envelope checks behind the EDIFACT reader (ISO 9735 service segments UNB/UNZ, UNG/UNE, UNH/UNT).

pydifact frames segments but validates nothing; these checks are ours, as data: UNT 0074 counts the
segments UNH..UNT inclusive and UNT 0062 repeats UNH 0062; UNE 0060 counts the group's messages and
UNE 0048 repeats UNG 0048; UNZ 0036 counts the groups (or the messages when there are none) and UNZ
0020 repeats UNB 0020; every message has its mandatory segments (`MANDATORY`), with BGM second where
the message has one. Nothing here raises: findings are `Issue`s on the item they belong to.
"""

from __future__ import annotations

from typing import Final, Protocol

from gateway.errors import FormatError
from gateway.formats.edifact.model import (
    CHARSETS,
    EdifactItem,
    GroupClosed,
    GroupHeader,
    GroupOpened,
    InterchangeClosed,
    InterchangeHeader,
    InterchangeOpened,
    Message,
    MessageId,
    Segment,
    ServiceChars,
    parse_edifact_datetime,
    split_released,
    unescape,
)
from gateway.formats.issues import Issue, IssueCode, Location, Severity

# Mandatory segments after UNH, per message type (UNTDID message structures; the first listed
# comes right after UNH). Types not listed are checked for UNH/UNT only.
MANDATORY: dict[str, tuple[str, ...]] = {
    "ORDERS": ("BGM", "DTM"),
    "ORDRSP": ("BGM", "DTM"),
    "ORDCHG": ("BGM", "DTM"),
    "DESADV": ("BGM",),
    "INVOIC": ("BGM", "DTM"),
    "CONTRL": ("UCI",),
    "APERAK": ("BGM",),
}
# UNH 0062 references remembered per interchange for the duplicate check: a bound, so that memory
# does not grow with an interchange of very many messages (later ones are checked against these).
MAX_REFS_CHECKED = 100_000
_IDENTS_KEPT: Final = 64  # the S009 texts kept per file (`Envelope._ident`)
SERVICE_TAGS = frozenset({"UNA", "UNB", "UNZ", "UNG", "UNE", "UNH", "UNT"})
ACK_REQUESTS = frozenset({"", "0", "1", "2"})  # 0031: none, not requested, requested, technical only


class _Group:
    __slots__ = ("count", "header", "issues")

    def __init__(self, header: GroupHeader) -> None:
        self.header = header
        self.count = 0
        self.issues: list[Issue] = []


class Envelope:
    """Folds segments into `EdifactItem`s; the reader calls `segment` for each one."""

    def __init__(self, file_name: str | None, chars: ServiceChars, una: bool) -> None:
        self.file_name = file_name
        self.chars = chars
        self.una = una
        self.interchange: InterchangeHeader | None = None
        self.position = 0  # file segment position of the last envelope segment
        self.ordinal = 0
        self.interchanges = 0
        self.body: list[Segment] | None = None  # the open message's segments (the reader appends)
        self.framed = False  # the open message is framed only: its segments are placeholders
        self._unh: Segment | None = None
        self._group: _Group | None = None
        self._groups = 0
        self._loose = 0  # messages outside groups in the open interchange
        self._issues: list[Issue] = []
        self._seen_refs: set[str] = set()
        # S009 as read, and whether it is regular, by its text (the service characters never change
        # within a file): the messages of a file mostly share a few.
        self._idents: dict[str, tuple[MessageId, bool]] = {}
        self._seen_interchanges: set[str] = set()

    # -- locations -------------------------------------------------------------------------------

    def where(
        self,
        tag: str,
        element: int | None = None,
        *,
        position: int | None = None,
        message: str | None = None,
        component: int | None = None,
    ) -> Location:
        return Location(
            file=self.file_name,
            interchange=self.interchange.control_reference if self.interchange else None,
            group=self._group.header.reference if self._group else None,
            transaction=message,
            segment_position=self.position if position is None else position,
            segment_tag=tag,
            element=element,
            component=component,
        )

    def _error(
        self,
        code: IssueCode,
        where: Location,
        message: str,
        value: str | None = None,
        severity: Severity = Severity.ERROR,
    ) -> None:
        self._issues.append(Issue(code, severity, where, message, bad_value=value))

    # -- dispatch --------------------------------------------------------------------------------

    def segment(self, tag: str, elements: list[str], offset: int) -> list[EdifactItem]:
        """A segment outside an open message, or a service segment (elements[0] is the tag)."""
        if tag == "UNT" and self.body is not None:
            return [self._close_message(elements, offset)]
        out: list[EdifactItem] = []
        if tag in ("UNH", "UNG", "UNE", "UNB", "UNZ") and self.body is not None:
            out.append(self._close_message(None, offset))
        if tag == "UNH":
            self._open_message(elements, offset)
        elif tag == "UNB":
            out += self.close_interchange(None)
            out += self._open_interchange(elements, offset)
        elif tag == "UNZ":
            out += self.close_interchange(elements)
        elif tag == "UNG":
            out += self._close_group(None)
            out += self._open_group(elements)
        elif tag == "UNE":
            self.position += 1
            out += self._close_group(elements)
        elif self.interchange is None:
            raise FormatError(
                f"segment {tag} outside a message and outside any interchange",
                self.where(tag, position=self.position + 1),
            )
        else:
            self.position += 1
            what = "UNT without a UNH" if tag == "UNT" else f"segment {tag} outside a message"
            where = self.where(tag)
            self._error(IssueCode.INVALID_CONTROL_STRUCTURE, where, what, tag)
        return out

    # -- interchange -----------------------------------------------------------------------------

    def _open_interchange(self, e: list[str], offset: int) -> list[EdifactItem]:
        self.position += 1
        rel = self.chars.release

        def comp(n: int, c: int = 1) -> str:
            if n >= len(e):
                return ""
            parts = split_released(e[n], self.chars.component, rel)
            return unescape(parts[c - 1], rel).strip() if c <= len(parts) else ""

        header = InterchangeHeader(
            syntax_id=comp(1).upper(),
            syntax_version=comp(1, 2),
            sender_id=comp(2),
            sender_qualifier=comp(2, 2),
            recipient_id=comp(3),
            recipient_qualifier=comp(3, 2),
            date=comp(4),
            time=comp(4, 2),
            control_reference=comp(5),
            application_reference=comp(7),
            ack_request=comp(9),
            test_indicator=comp(11),
            chars=self.chars,
            una=self.una,
            offset=offset,
            index=self.interchanges,
        )
        self.interchange = header
        self.interchanges += 1
        self._groups = self._loose = 0
        self._issues, self._seen_refs = [], set()
        self._check_header(header)
        return [InterchangeOpened(header)]

    def _check_header(self, h: InterchangeHeader) -> None:
        def bad(code: IssueCode, el: int, msg: str, value: str, sev: Severity = Severity.ERROR) -> None:
            self._error(code, self.where("UNB", el), msg, value, sev)

        if h.syntax_id not in CHARSETS:
            bad(
                IssueCode.INVALID_VERSION,
                1,
                f"syntax identifier {h.syntax_id!r} is not UNOA..UNOY",
                h.syntax_id,
            )
        if h.syntax_version not in ("1", "2", "3", "4"):
            bad(
                IssueCode.INVALID_VERSION,
                1,
                f"syntax version {h.syntax_version!r} is not 1..4",
                h.syntax_version,
            )
        if not h.sender_id:
            bad(IssueCode.INVALID_SENDER_ID, 2, "UNB S002 names no sender", "")
        if not h.recipient_id:
            bad(IssueCode.INVALID_RECEIVER_ID, 3, "UNB S003 names no recipient", "")
        if parse_edifact_datetime(h.date + h.time) is None:
            bad(
                IssueCode.INVALID_INTERCHANGE_DATE,
                4,
                f"UNB S004 {h.date}:{h.time} is not a date and time",
                h.date,
                Severity.WARNING,
            )
        ref = h.control_reference
        if not ref or len(ref) > 14:
            bad(IssueCode.INVALID_INTERCHANGE_CONTROL_NUMBER, 5, "UNB 0020 must be 1 to 14 characters", ref)
        elif ref in self._seen_interchanges:
            bad(
                IssueCode.DUPLICATE_INTERCHANGE,
                5,
                f"UNB 0020 {ref} repeats an earlier interchange in the same file",
                ref,
                Severity.WARNING,
            )
        self._seen_interchanges.add(ref)
        if h.ack_request not in ACK_REQUESTS:
            bad(
                IssueCode.INVALID_ACK_REQUESTED,
                9,
                "UNB 0031 is neither 1 nor 2",
                h.ack_request,
                Severity.WARNING,
            )
        if h.test_indicator not in ("", "1"):
            bad(IssueCode.INVALID_TEST_INDICATOR, 11, "UNB 0035 is not 1", h.test_indicator, Severity.WARNING)

    def close_interchange(self, unz: list[str] | None) -> list[EdifactItem]:
        header = self.interchange
        if header is None:
            if unz is not None:
                self.position += 1
                self._error(
                    IssueCode.INVALID_CONTROL_STRUCTURE, self.where("UNZ"), "UNZ without a UNB", "UNZ"
                )
            return []
        out = self._close_group(None)
        counted = self._groups if self._groups else self._loose
        declared: int | None = None
        if unz is None:
            self._error(
                IssueCode.INTERCHANGE_TRAILER_MISSING, self.where("UNZ"), "the UNZ trailer is missing"
            )
        else:
            self.position += 1
            count = unz[1].strip() if len(unz) > 1 else ""
            ref = unz[2].strip() if len(unz) > 2 else ""
            declared = int(count) if count.isdigit() else None
            if declared != counted:
                what = "groups" if self._groups else "messages"
                self._error(
                    IssueCode.GROUP_COUNT_MISMATCH,
                    self.where("UNZ", 1),
                    f"UNZ 0036 says {count or 'nothing'} but {counted} {what} were read",
                    count,
                )
            if ref != header.control_reference:
                self._error(
                    IssueCode.INTERCHANGE_CONTROL_MISMATCH,
                    self.where("UNZ", 2),
                    f"UNZ 0020 {ref} differs from UNB 0020 {header.control_reference}",
                    ref,
                )
        out.append(InterchangeClosed(header, declared, counted, tuple(self._issues)))
        self.interchange = None
        return out

    # -- groups ----------------------------------------------------------------------------------

    def _open_group(self, e: list[str]) -> list[EdifactItem]:
        self.position += 1
        if self.interchange is None:
            self._error(
                IssueCode.INVALID_CONTROL_STRUCTURE, self.where("UNG"), "UNG outside an interchange", "UNG"
            )
            return []
        if self._loose:
            self._error(
                IssueCode.INVALID_CONTROL_STRUCTURE,
                self.where("UNG"),
                "the interchange mixes groups and messages outside groups",
                "UNG",
            )
        get = [unescape(x.split(self.chars.component)[0], self.chars.release).strip() for x in e]
        get += [""] * (9 - len(get))
        date, _, clock = e[4].partition(self.chars.component) if len(e) > 4 else ("", "", "")
        header = GroupHeader(get[1], get[2], get[3], date, clock, get[5], self.position)
        self._groups += 1
        self._group = _Group(header)
        return [GroupOpened(self.interchange, header)]

    def _close_group(self, une: list[str] | None) -> list[EdifactItem]:
        group = self._group
        if group is None:
            if une is not None:
                self._error(
                    IssueCode.INVALID_CONTROL_STRUCTURE, self.where("UNE"), "UNE without a UNG", "UNE"
                )
            return []
        assert self.interchange is not None
        declared: int | None = None

        def problem(code: IssueCode, el: int | None, message: str, value: str | None = None) -> None:
            group.issues.append(Issue(code, Severity.ERROR, self.where("UNE", el), message, value))

        if une is None:
            problem(IssueCode.GROUP_TRAILER_MISSING, None, "the UNE trailer is missing")
        else:
            count = une[1].strip() if len(une) > 1 else ""
            ref = une[2].strip() if len(une) > 2 else ""
            declared = int(count) if count.isdigit() else None
            if declared != group.count:
                problem(
                    IssueCode.SET_COUNT_MISMATCH,
                    1,
                    f"UNE 0060 says {count or 'nothing'} messages but {group.count} were read",
                    count,
                )
            if ref != group.header.reference:
                problem(
                    IssueCode.GROUP_CONTROL_MISMATCH,
                    2,
                    f"UNE 0048 {ref} differs from UNG 0048 {group.header.reference}",
                    ref,
                )
        self._group = None
        return [GroupClosed(self.interchange, group.header, declared, group.count, tuple(group.issues))]

    # -- messages --------------------------------------------------------------------------------

    def _open_message(self, e: list[str], offset: int) -> None:
        self._unh = Segment("UNH", tuple(e[1:]), 1, offset)
        self.body = []
        self._base = self.position

    def _ident(self, unh: Segment) -> tuple[MessageId, bool]:
        raw = unh.elements[1] if len(unh.elements) > 1 else ""
        known = self._idents.get(raw)
        if known is None:
            s009 = unh.components(2, self.chars)  # once: each `get` would split the element again
            ident = _new(MessageId, tuple([s009[c].strip() if c < len(s009) else "" for c in range(5)]))
            known = (ident, ident.regular)
            if len(self._idents) < _IDENTS_KEPT:
                self._idents[raw] = known
        return known

    def _close_message(self, unt: list[str] | None, offset: int) -> Message:
        unh, body = self._unh, self.body
        assert unh is not None
        assert body is not None
        chars = self.chars
        ref = _first(unh, 1, chars).strip()
        ident, regular = self._ident(unh)
        size = len(body) + 2
        last = Segment("UNT", tuple(unt[1:]), size, offset) if unt is not None else None
        segments = (unh, *body, last) if last is not None else (unh, *body)
        self.body, self._unh = None, None
        self.position = self._base + len(segments)
        issues: list[Issue] = []

        def problem(
            code: IssueCode,
            seg: Segment,
            el: int | None,
            msg: str,
            value: str | None = None,
            *,
            warn: bool = False,
        ) -> None:
            where = self.where(seg.tag, el, position=seg.position, message=ref or None)
            issues.append(Issue(code, Severity.WARNING if warn else Severity.ERROR, where, msg, value))

        if not ref:
            problem(IssueCode.INVALID_SET_CONTROL_NUMBER, unh, 1, "UNH 0062 (message reference) is empty", "")
        elif ref in self._seen_refs:
            problem(
                IssueCode.DUPLICATE_SET_CONTROL_NUMBER,
                unh,
                1,
                f"UNH 0062 {ref} repeats in the interchange",
                ref,
            )
        if len(self._seen_refs) < MAX_REFS_CHECKED:
            self._seen_refs.add(ref)
        if not ident.type or not ident.version or not ident.release or not ident.agency:
            problem(
                IssueCode.INVALID_SET_ID,
                unh,
                2,
                "UNH S009 lacks the message type, version, release or agency",
            )
        elif not regular:
            problem(
                IssueCode.INVALID_SET_ID,
                unh,
                2,
                f"UNH S009 {ident.version}:{ident.release} is read as directory {ident.directory}",
                f"{ident.version}:{ident.release}",
                warn=True,
            )
        if last is None:
            tail = segments[-1]
            problem(IssueCode.SET_TRAILER_MISSING, tail, None, "the UNT trailer is missing")
        else:
            count = _first(last, 1, chars).strip()
            if not count.isdigit() or int(count) != size:
                problem(
                    IssueCode.SEGMENT_COUNT_MISMATCH,
                    last,
                    1,
                    f"UNT 0074 says {count or 'nothing'} segments but the message has {size}",
                    count,
                )
            if _first(last, 2, chars).strip() != ref:
                problem(
                    IssueCode.SET_CONTROL_MISMATCH,
                    last,
                    2,
                    f"UNT 0062 {last.get(2, 1, chars)} differs from UNH 0062 {ref}",
                    last.get(2, 1, chars),
                )
        if not self.framed:
            self._check_mandatory(ident.type, segments, problem)
        group = self._group
        if group is not None:
            index = group.count
            group.count += 1
        else:
            index = self._loose
            self._loose += 1
            if self._groups:
                problem(
                    IssueCode.SET_NOT_IN_GROUP, unh, None, "a message outside the groups of its interchange"
                )
        ordinal = self.ordinal
        self.ordinal += 1
        return _new(
            Message,
            (
                self.interchange,
                group.header if group is not None else None,
                ref,
                ident,
                segments,
                chars,
                tuple(issues),
                index,
                ordinal,
            ),
        )

    @staticmethod
    def _check_mandatory(kind: str, segments: tuple[Segment, ...], problem: _Problem) -> None:
        needed = MANDATORY.get(kind, ())
        if not needed:
            return
        tags = {s.tag for s in segments}
        first = needed[0]
        for tag in needed:
            if tag not in tags:
                problem(
                    IssueCode.MANDATORY_SEGMENT_MISSING,
                    segments[-1],
                    None,
                    f"mandatory segment {tag} is missing",
                    tag,
                )
        if first in tags and len(segments) > 1 and segments[1].tag != first:
            seg = segments[1]
            problem(
                IssueCode.SEGMENT_OUT_OF_SEQUENCE,
                seg,
                None,
                f"{first} must follow UNH; {seg.tag} does",
                seg.tag,
            )

    def finish(self) -> list[EdifactItem]:
        """End of input: close whatever is open, reporting the missing trailers."""
        out: list[EdifactItem] = []
        if self.body is not None:
            out.append(self._close_message(None, 0))
        out += self.close_interchange(None)
        return out


class _Problem(Protocol):
    def __call__(
        self,
        code: IssueCode,
        seg: Segment,
        el: int | None,
        msg: str,
        value: str | None = None,
        *,
        warn: bool = False,
    ) -> None: ...


_new: Final = tuple.__new__  # a NamedTuple made with one C call (its class's own __new__ is interpreted)


def _first(seg: Segment, n: int, chars: ServiceChars) -> str:
    """`seg.get(n, 1, chars)` as a native call (a NamedTuple's methods are called as Python ones)."""
    parts = seg.components(n, chars)
    return parts[0] if parts else ""
