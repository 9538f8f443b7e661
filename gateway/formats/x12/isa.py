"""Framing and checking the ISA interchange control header (X12 control segments ISA/IEA, 004010-005010).

The ISA is the only fixed-width X12 segment and the only one that declares the delimiters:

- the element separator is the character right after "ISA" (ISA position 3, the fourth character);
- ISA11 is the repetition separator from version 00402 on (before that it is the standards id "U");
- ISA16 is the component separator, and the character after it is the segment terminator.

`frame_isa` reads the 106-character fixed layout when the separators sit where the standard puts them,
and otherwise counts 16 element separators, which reads the non-fixed ISAs some translators send (the
Ariba sample `810_004010_ariba-nonfixed-width-isa_tabs_edinet.edi` pads nothing).
`check_isa` turns invalid header fields into TA1-coded issues; only unframeable bytes raise.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.errors import FormatError
from gateway.formats.issues import Issue, IssueCode, Location, Severity
from gateway.formats.x12.model import Delimiters, InterchangeHeader, parse_x12_date, parse_x12_time

ISA_LENGTH = 106  # "ISA" + 16 fixed-width elements with their separators + the segment terminator
MAX_ISA_LENGTH = 512  # a non-fixed ISA longer than this is not an ISA
_FIXED_SEPARATORS = (3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103)


@dataclass(frozen=True, slots=True)
class IsaFrame:
    """An ISA cut out of the text: its 16 elements, the delimiters and how many characters it took."""

    elements: tuple[str, ...]  # ISA01..ISA16
    delimiters: Delimiters
    length: int  # characters from "I" of "ISA" through the segment terminator


def _illegal(ch: str) -> bool:
    """Delimiters may not be letters, digits or the blank that pads ISA fields."""
    return ch.isalnum() or ch == " "


def repetition_separator(isa11: str, version: str) -> str | None:
    """ISA11 is a repetition separator from 00402 on; before, or when it is a letter/digit/blank, none."""
    if version >= "00402" and len(isa11) == 1 and not _illegal(isa11):
        return isa11
    return None


def frame_isa(text: str, *, final: bool, location: Location) -> IsaFrame | None:
    """Cut the ISA at the start of `text`; None when more text is needed (and `final` is false).

    Raises FormatError when the bytes cannot be an ISA: wrong start, a letter, digit or blank as a
    delimiter, two delimiters equal, or a truncated header.
    """
    if not text.startswith("ISA"):
        if not final and "ISA".startswith(text):
            return None
        raise FormatError("the interchange does not start with an ISA segment", location)
    if len(text) < 4:
        if not final:
            return None
        raise FormatError("the ISA segment is truncated", location)
    sep = text[3]
    if _illegal(sep):
        raise FormatError(f"the ISA element separator {sep!r} is a letter, digit or blank", location)
    if len(text) >= ISA_LENGTH and all(text[p] == sep for p in _FIXED_SEPARATORS):
        end = 103  # the separator before ISA16
        elements = text[4:end].split(sep)
    else:
        elements = []
        end = 3
        for _ in range(15):
            nxt = text.find(sep, end + 1, MAX_ISA_LENGTH)
            if nxt < 0:
                if not final and len(text) < MAX_ISA_LENGTH:
                    return None
                raise FormatError("the ISA segment is truncated (fewer than 16 elements)", location)
            elements.append(text[end + 1 : nxt])
            end = nxt
    if len(elements) != 15:
        raise FormatError("the ISA segment does not have 16 elements", location)
    if len(text) < end + 3:
        if not final:
            return None
        raise FormatError("the ISA segment is truncated (no segment terminator after ISA16)", location)
    component, terminator = text[end + 1], text[end + 2]
    for name, ch in (("component separator (ISA16)", component), ("segment terminator", terminator)):
        if _illegal(ch):
            raise FormatError(f"the ISA {name} {ch!r} is a letter, digit or blank", location)
    if len({sep, component, terminator}) != 3:
        raise FormatError("the ISA declares the same character for two delimiters", location)
    version = elements[11]
    repetition = repetition_separator(elements[10], version)
    if repetition in (sep, component, terminator):
        repetition = None
    delimiters = Delimiters(element=sep, segment=terminator, component=component, repetition=repetition)
    return IsaFrame(elements=(*elements, component), delimiters=delimiters, length=end + 3)


def header_from_frame(frame: IsaFrame, *, offset: int, index: int) -> InterchangeHeader:
    e = frame.elements
    return InterchangeHeader(
        authorization_qualifier=e[0],
        authorization=e[1],
        security_qualifier=e[2],
        security=e[3],
        sender_qualifier=e[4],
        sender_id=e[5].rstrip(),
        receiver_qualifier=e[6],
        receiver_id=e[7].rstrip(),
        date=e[8],
        time=e[9],
        standards_id=e[10],
        version=e[11],
        control_number=e[12],
        ack_requested=e[13],
        usage=e[14],
        delimiters=frame.delimiters,
        offset=offset,
        index=index,
    )


def check_isa(header: InterchangeHeader, location: Location) -> list[Issue]:
    """Field checks on an ISA that could be framed; each finding carries its TA1 note code."""
    issues: list[Issue] = []

    def bad(code: IssueCode, element: int, message: str, value: str) -> None:
        where = Location(
            file=location.file,
            interchange=location.interchange,
            segment_position=location.segment_position,
            segment_tag="ISA",
            element=element,
            offset=location.offset,
        )
        issues.append(Issue(code, Severity.ERROR, where, message, bad_value=value))

    if not header.sender_id:
        bad(IssueCode.INVALID_SENDER_ID, 6, "ISA06 (sender id) is empty", header.sender_id)
    if not header.receiver_id:
        bad(IssueCode.INVALID_RECEIVER_ID, 8, "ISA08 (receiver id) is empty", header.receiver_id)
    if len(header.date) != 6 or parse_x12_date(header.date) is None:
        bad(IssueCode.INVALID_INTERCHANGE_DATE, 9, "ISA09 is not a valid YYMMDD date", header.date)
    if len(header.time) != 4 or parse_x12_time(header.time) is None:
        bad(IssueCode.INVALID_INTERCHANGE_TIME, 10, "ISA10 is not a valid HHMM time", header.time)
    if len(header.version) != 5 or not header.version.isdigit():
        bad(IssueCode.INVALID_VERSION, 12, "ISA12 is not a 5-digit version number", header.version)
    if len(header.control_number) != 9 or not header.control_number.isdigit():
        bad(
            IssueCode.INVALID_INTERCHANGE_CONTROL_NUMBER,
            13,
            "ISA13 is not a 9-digit control number",
            header.control_number,
        )
    if header.ack_requested not in ("0", "1"):
        bad(IssueCode.INVALID_ACK_REQUESTED, 14, "ISA14 must be 0 or 1", header.ack_requested)
    if header.usage not in ("P", "T"):
        bad(IssueCode.INVALID_TEST_INDICATOR, 15, "ISA15 must be P or T", header.usage)
    return issues
