"""The envelope state machine behind the X12 reader (X12 control segments GS/GE, ST/SE, IEA; 004010-005010).

The reader frames segments and appends the segments of an open transaction set itself (the hot path);
everything else (ST, SE, GS, GE, IEA, TA1, ISB/ISE and stray segments) comes here. The checks follow the
envelope rules: IEA01 counts groups and IEA02 repeats ISA13; GE01 counts sets and GE02 repeats GS06;
SE01 counts ST..SE inclusive and SE02 repeats ST02; ST02 is unique within its group; GS01 matches ST01.
Findings are `Issue`s attached to the item they belong to; nothing here raises.
"""

from __future__ import annotations

from typing import Final

from gateway.formats.issues import Issue, IssueCode, Location, Severity
from gateway.formats.x12.model import (
    GroupClosed,
    GroupHeader,
    GroupOpened,
    InterchangeClosed,
    InterchangeHeader,
    InterchangeOpened,
    Segment,
    SegmentList,
    TA1Received,
    TransactionSet,
    X12Item,
)
from gateway.formats.x12.runs import Run

# GS01 functional identifier -> the ST01 set ids it may carry (X12 element 479).
FUNCTIONAL_IDS: dict[str, frozenset[str]] = {
    "PO": frozenset({"850"}),
    "PC": frozenset({"860"}),
    "CA": frozenset({"865"}),
    "PR": frozenset({"855"}),
    "SH": frozenset({"856"}),
    "IN": frozenset({"810"}),
    "FA": frozenset({"997", "999"}),
    "QM": frozenset({"214"}),
    "SC": frozenset({"832"}),
    "IB": frozenset({"846"}),
    "PS": frozenset({"830"}),
    "SS": frozenset({"862"}),
    "RA": frozenset({"820"}),
    "OW": frozenset({"940"}),
    "SW": frozenset({"945"}),
    "AG": frozenset({"824"}),
    "GF": frozenset({"990"}),
    "SM": frozenset({"204"}),
    "IM": frozenset({"210"}),
}

ENVELOPE_TAGS: Final = frozenset({"ISA", "IEA", "GS", "GE", "ST", "SE", "TA1", "ISB", "ISE"})


class _Group:
    __slots__ = ("control_numbers", "header", "issues", "seen")

    def __init__(self, header: GroupHeader) -> None:
        self.header = header
        self.control_numbers: list[str] = []
        self.seen: set[str] = set()
        self.issues: list[Issue] = []


class Envelope:
    """Folds envelope segments into `X12Item`s.

    `body` is the open set's body, which the reader appends to: runs of the segments after ST as
    their text (see `runs.Run`); None when no set is open. `body_size` counts its segments.
    """

    def __init__(self, file_name: str | None, separator: str = "*") -> None:
        self.file_name = file_name
        self.separator = separator  # the element separator of the open interchange
        self.body: list[Run] | None = None
        self.body_size = 0
        self._st = Segment("ST", ())
        self.interchange: InterchangeHeader | None = None
        self.position = 0  # segments seen in the file so far (set segments counted when the set closes)
        self.ordinal = 0  # sets read in the file
        self.interchanges = 0
        self._group: _Group | None = None
        self._groups = 0
        self._loose_sets = 0
        self._set_base = 0
        self._issues: list[Issue] = []
        self._seen_interchanges: set[str] = set()

    # -- locations -------------------------------------------------------------------------------

    def _where(
        self,
        tag: str,
        element: int | None = None,
        *,
        position: int | None = None,
        transaction: str | None = None,
        group: bool = True,
    ) -> Location:
        return Location(
            file=self.file_name,
            interchange=self.interchange.control_number if self.interchange else None,
            group=self._group.header.control_number if group and self._group else None,
            transaction=transaction,
            segment_position=self.position if position is None else position,
            segment_tag=tag,
            element=element,
        )

    # -- interchange -----------------------------------------------------------------------------

    def open_interchange(self, header: InterchangeHeader, issues: list[Issue]) -> list[X12Item]:
        self.position += 1
        self.interchange = header
        self.separator = header.delimiters.element
        self.interchanges += 1
        self._groups = 0
        self._loose_sets = 0
        self._issues = list(issues)
        if header.control_number in self._seen_interchanges:
            self._issues.append(
                Issue(
                    IssueCode.DUPLICATE_INTERCHANGE,
                    Severity.WARNING,
                    self._where("ISA", 13),
                    f"ISA13 {header.control_number} repeats an earlier interchange in the same file",
                    bad_value=header.control_number,
                )
            )
        self._seen_interchanges.add(header.control_number)
        return [InterchangeOpened(header)]

    def isa_location(self) -> Location:
        return Location(file=self.file_name, segment_position=self.position + 1, segment_tag="ISA")

    def close_interchange(self, iea: list[str] | None) -> list[X12Item]:
        """Close the open interchange, with its IEA elements or None when the IEA is missing."""
        header = self.interchange
        if header is None:
            return []
        out: list[X12Item] = [self._close_set(None)] if self.body is not None else []
        out.extend(self._close_group(None))
        declared_count: int | None = None
        declared_control: str | None = None
        if iea is None:
            self._error(
                IssueCode.INTERCHANGE_TRAILER_MISSING, self._where("IEA"), "the IEA trailer is missing"
            )
        else:
            self.position += 1
            count = iea[1] if len(iea) > 1 else ""
            declared_control = iea[2] if len(iea) > 2 else ""
            declared_count = int(count) if count.isdigit() else None
            if declared_count != self._groups:
                self._error(
                    IssueCode.GROUP_COUNT_MISMATCH,
                    self._where("IEA", 1),
                    f"IEA01 says {count or 'nothing'} groups but {self._groups} were read",
                    count,
                )
            if declared_control != header.control_number:
                self._error(
                    IssueCode.INTERCHANGE_CONTROL_MISMATCH,
                    self._where("IEA", 2),
                    f"IEA02 {declared_control} differs from ISA13 {header.control_number}",
                    declared_control,
                )
        out.append(
            InterchangeClosed(header, declared_count, declared_control, self._groups, tuple(self._issues))
        )
        self.interchange = None
        return out

    def _error(self, code: IssueCode, where: Location, message: str, value: str | None = None) -> None:
        self._issues.append(Issue(code, Severity.ERROR, where, message, bad_value=value))

    # -- segments outside the hot path -----------------------------------------------------------

    def on_segment(self, tag: str, elements: list[str], offset: int) -> list[X12Item]:
        """An envelope segment, or any segment while no set is open (elements[0] is the tag)."""
        body = self.body
        if tag == "SE" and body is not None:
            return [self._close_set(_segment(tag, tuple(elements[1:]), self.body_size + 2, offset))]
        if tag == "ST":
            opened: list[X12Item] = [self._close_set(None)] if body is not None else []
            self._open_set(elements, offset)
            return opened
        if body is not None and tag not in ("GS", "GE", "IEA"):
            body.append((self.separator.join(elements), offset, ""))
            self.body_size += 1
            return []
        out: list[X12Item] = [] if body is None else [self._close_set(None)]
        if tag == "GS":
            out.extend(self._close_group(None))
            out.extend(self._open_group(elements))
        elif tag == "GE":
            self.position += 1
            out.extend(self._close_group(elements))
        elif tag == "IEA":
            out.extend(self.close_interchange(elements))
        elif tag == "TA1" and self.interchange is not None:
            self.position += 1
            out.append(
                TA1Received(self.interchange, Segment(tag, tuple(elements[1:]), self.position, offset))
            )
        else:
            self.position += 1
            if tag not in ("ISB", "ISE"):  # optional interchange segments, skipped
                where = self._where(tag)
                self._error(IssueCode.INVALID_CONTROL_STRUCTURE, where, f"segment {tag} outside a set", tag)
        return out

    # -- groups ----------------------------------------------------------------------------------

    def _open_group(self, elements: list[str]) -> list[X12Item]:
        assert self.interchange is not None
        self.position += 1
        e = [*elements[1:9], *([""] * (9 - len(elements)))]
        header = GroupHeader(
            functional_id=e[0],
            application_sender=e[1],
            application_receiver=e[2],
            date=e[3],
            time=e[4],
            control_number=e[5],
            agency=e[6],
            version=e[7],
            position=self.position,
            index=self._groups,
        )
        self._groups += 1
        self._group = _Group(header)
        return [GroupOpened(self.interchange, header)]

    def _close_group(self, ge: list[str] | None) -> list[X12Item]:
        group = self._group
        if group is None:
            if ge is not None:
                self._error(IssueCode.INVALID_CONTROL_STRUCTURE, self._where("GE"), "GE without a GS", "GE")
            return []
        assert self.interchange is not None
        declared_count: int | None = None
        declared_control: str | None = None
        read = len(group.control_numbers)

        def problem(code: IssueCode, element: int | None, message: str, value: str | None = None) -> None:
            group.issues.append(Issue(code, Severity.ERROR, self._where("GE", element), message, value))

        if ge is None:
            problem(IssueCode.GROUP_TRAILER_MISSING, None, "the GE trailer is missing")
        else:
            count = ge[1] if len(ge) > 1 else ""
            declared_control = ge[2] if len(ge) > 2 else ""
            declared_count = int(count) if count.isdigit() else None
            if declared_count != read:
                problem(
                    IssueCode.SET_COUNT_MISMATCH,
                    1,
                    f"GE01 says {count or 'nothing'} sets but {read} were read",
                    count,
                )
            if declared_control != group.header.control_number:
                problem(
                    IssueCode.GROUP_CONTROL_MISMATCH,
                    2,
                    f"GE02 {declared_control} differs from GS06 {group.header.control_number}",
                    declared_control,
                )
        self._group = None
        return [
            GroupClosed(
                self.interchange,
                group.header,
                declared_count,
                declared_control,
                read,
                tuple(group.control_numbers),
                tuple(group.issues),
            )
        ]

    # -- transaction sets ------------------------------------------------------------------------

    def _open_set(self, elements: list[str], offset: int) -> None:
        self._set_base = self.position
        self._st = _segment("ST", tuple(elements[1:]), 1, offset)
        self.body = []
        self.body_size = 0

    def _close_set(self, se: Segment | None) -> TransactionSet:
        body = self.body
        assert body is not None
        assert self.interchange is not None
        segs = SegmentList(self._st, body, se, self.separator, self.body_size)
        self.body = None
        size = len(segs)
        self.position = self._set_base + size
        st = self._st
        set_id, control = _get(st, 1), _get(st, 2)
        group = self._group
        issues: list[Issue] = []

        def problem(
            code: IssueCode,
            seg: Segment,
            element: int | None,
            message: str,
            value: str | None = None,
            *,
            severity: Severity = Severity.ERROR,
        ) -> None:
            where = self._where(seg.tag, element, position=seg.position, transaction=control or None)
            issues.append(Issue(code, severity, where, message, value))

        if len(set_id) != 3 or not set_id.isdigit():
            problem(IssueCode.INVALID_SET_ID, st, 1, "ST01 is not a 3-digit transaction set id", set_id)
        if not 4 <= len(control) <= 9:
            problem(IssueCode.INVALID_SET_CONTROL_NUMBER, st, 2, "ST02 must be 4 to 9 characters", control)
        if group is None:
            problem(IssueCode.SET_NOT_IN_GROUP, st, None, "the transaction set is not inside a GS/GE group")
        else:
            expected = FUNCTIONAL_IDS.get(group.header.functional_id)
            if expected is not None and set_id not in expected:
                problem(
                    IssueCode.INVALID_SET_ID,
                    st,
                    1,
                    f"ST01 {set_id} does not belong in a group with GS01 {group.header.functional_id}",
                    set_id,
                    severity=Severity.WARNING,
                )
            if control in group.seen:
                problem(
                    IssueCode.DUPLICATE_SET_CONTROL_NUMBER,
                    st,
                    2,
                    f"ST02 {control} repeats in the group",
                    control,
                )
            group.seen.add(control)
            group.control_numbers.append(control)
        if se is None:
            tag = segs.last_body_tag()
            last = st if tag is None else Segment(tag, (), size)
            problem(IssueCode.SET_TRAILER_MISSING, last, None, "the SE trailer is missing")
        else:
            count = _get(se, 1)
            if count != str(size) and (not count.isdigit() or int(count) != size):
                problem(
                    IssueCode.SEGMENT_COUNT_MISMATCH,
                    se,
                    1,
                    f"SE01 says {count or 'nothing'} segments but the set has {size}",
                    count,
                )
            trailer_control = _get(se, 2)
            if trailer_control != control:
                problem(
                    IssueCode.SET_CONTROL_MISMATCH,
                    se,
                    2,
                    f"SE02 {trailer_control} differs from ST02 {control}",
                    trailer_control,
                )
        if group is not None:
            index = len(group.control_numbers) - 1
        else:
            index = self._loose_sets
            self._loose_sets += 1
        ordinal = self.ordinal
        self.ordinal += 1
        return _new(
            TransactionSet,
            (
                self.interchange,
                group.header if group is not None else None,
                set_id,
                control,
                segs,
                tuple(issues),
                _get(st, 3),
                index,
                ordinal,
            ),
        )

    def finish(self) -> list[X12Item]:
        """End of input: close whatever is still open (reporting the missing trailers)."""
        return self.close_interchange(None)


def _get(seg: Segment, n: int) -> str:
    """`seg.get(n)`, as a native call in a compiled build (a NamedTuple's methods stay interpreted)."""
    els = seg[1]
    return els[n - 1] if 0 < n <= len(els) else ""


_new: Final = tuple.__new__


def _segment(tag: str, elements: tuple[str, ...], position: int, offset: int) -> Segment:
    """`Segment(...)` without the NamedTuple's Python-level __new__ (the reader makes two a set)."""
    return _new(Segment, (tag, elements, position, offset))
