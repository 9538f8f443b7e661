"""Validation findings as data.

Readers collect `Issue`s and go on; only bytes that cannot be framed at all raise `FormatError`.
`IssueCode` is a closed list aligned with the X12 acknowledgement code lists, so the 997/999/TA1
writers (and the EDIFACT CONTRL writer) can turn every issue into the right code:

- interchange level: TA1 note codes (element I18)
- group level: AK9 / 716 codes
- transaction set level: AK5 / 718 codes
- segment level: AK3 / 720 codes
- element level: AK4 / 723 codes
- business level: found by maps and correlation; acknowledged as "accepted with errors" or not at all

`X12_CODES` gives the X12 code of each syntax issue (`gateway.formats.x12.ack` uses it), `EDIFACT_CODES`
the CONTRL 0085 code (`gateway.formats.edifact.ack`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"  # the enclosing unit (set, group, interchange) is rejected
    WARNING = "warning"  # noted, the unit is still accepted ("accepted with errors")


class Level(StrEnum):
    INTERCHANGE = "interchange"
    GROUP = "group"
    TRANSACTION = "transaction"
    SEGMENT = "segment"
    ELEMENT = "element"
    BUSINESS = "business"


class IssueCode(StrEnum):
    # interchange (TA1 / I18)
    INTERCHANGE_CONTROL_MISMATCH = "interchange_control_mismatch"  # IEA02 != ISA13
    INVALID_SEGMENT_TERMINATOR = "invalid_segment_terminator"
    INVALID_SENDER_ID = "invalid_sender_id"
    INVALID_RECEIVER_ID = "invalid_receiver_id"
    UNKNOWN_RECEIVER = "unknown_receiver"
    INVALID_INTERCHANGE_DATE = "invalid_interchange_date"
    INVALID_INTERCHANGE_TIME = "invalid_interchange_time"
    INVALID_VERSION = "invalid_version"
    INVALID_INTERCHANGE_CONTROL_NUMBER = "invalid_interchange_control_number"
    INVALID_ACK_REQUESTED = "invalid_ack_requested"
    INVALID_TEST_INDICATOR = "invalid_test_indicator"
    GROUP_COUNT_MISMATCH = "group_count_mismatch"  # IEA01 != number of groups
    INVALID_CONTROL_STRUCTURE = "invalid_control_structure"
    INTERCHANGE_TRAILER_MISSING = "interchange_trailer_missing"  # improper end of file
    DUPLICATE_INTERCHANGE = "duplicate_interchange"
    # group (AK9 / 716)
    GROUP_TRAILER_MISSING = "group_trailer_missing"
    GROUP_CONTROL_MISMATCH = "group_control_mismatch"  # GE02 != GS06
    SET_COUNT_MISMATCH = "set_count_mismatch"  # GE01 != number of sets
    GROUP_NOT_SUPPORTED = "group_not_supported"
    # transaction set (AK5 / 718)
    SET_NOT_SUPPORTED = "set_not_supported"
    SET_TRAILER_MISSING = "set_trailer_missing"
    SET_CONTROL_MISMATCH = "set_control_mismatch"  # SE02 != ST02
    SEGMENT_COUNT_MISMATCH = "segment_count_mismatch"  # SE01 wrong
    INVALID_SET_ID = "invalid_set_id"  # ST01 missing/invalid, or inconsistent with GS01
    INVALID_SET_CONTROL_NUMBER = "invalid_set_control_number"
    DUPLICATE_SET_CONTROL_NUMBER = "duplicate_set_control_number"  # ST02 not unique in group
    SET_NOT_IN_GROUP = "set_not_in_group"
    # segment (AK3 / 720)
    UNRECOGNIZED_SEGMENT = "unrecognized_segment"
    UNEXPECTED_SEGMENT = "unexpected_segment"
    MANDATORY_SEGMENT_MISSING = "mandatory_segment_missing"
    LOOP_OVER_MAXIMUM = "loop_over_maximum"
    SEGMENT_OVER_MAXIMUM = "segment_over_maximum"
    SEGMENT_OUT_OF_SEQUENCE = "segment_out_of_sequence"
    # element (AK4 / 723)
    MANDATORY_ELEMENT_MISSING = "mandatory_element_missing"
    CONDITIONAL_ELEMENT_MISSING = "conditional_element_missing"
    TOO_MANY_ELEMENTS = "too_many_elements"
    ELEMENT_TOO_SHORT = "element_too_short"
    ELEMENT_TOO_LONG = "element_too_long"
    INVALID_CHARACTER = "invalid_character"
    INVALID_CODE_VALUE = "invalid_code_value"
    INVALID_DATE = "invalid_date"
    INVALID_TIME = "invalid_time"
    INVALID_NUMBER = "invalid_number"
    # hierarchy (856 HL) reported at element level against HL01/HL02/HL03
    HIERARCHY_INVALID = "hierarchy_invalid"
    # business (maps and correlation)
    UNKNOWN_CODE = "unknown_code"
    MISSING_VALUE = "missing_value"


LEVELS: dict[IssueCode, Level] = {
    **dict.fromkeys(
        (
            IssueCode.INTERCHANGE_CONTROL_MISMATCH,
            IssueCode.INVALID_SEGMENT_TERMINATOR,
            IssueCode.INVALID_SENDER_ID,
            IssueCode.INVALID_RECEIVER_ID,
            IssueCode.UNKNOWN_RECEIVER,
            IssueCode.INVALID_INTERCHANGE_DATE,
            IssueCode.INVALID_INTERCHANGE_TIME,
            IssueCode.INVALID_VERSION,
            IssueCode.INVALID_INTERCHANGE_CONTROL_NUMBER,
            IssueCode.INVALID_ACK_REQUESTED,
            IssueCode.INVALID_TEST_INDICATOR,
            IssueCode.GROUP_COUNT_MISMATCH,
            IssueCode.INVALID_CONTROL_STRUCTURE,
            IssueCode.INTERCHANGE_TRAILER_MISSING,
            IssueCode.DUPLICATE_INTERCHANGE,
        ),
        Level.INTERCHANGE,
    ),
    **dict.fromkeys(
        (
            IssueCode.GROUP_TRAILER_MISSING,
            IssueCode.GROUP_CONTROL_MISMATCH,
            IssueCode.SET_COUNT_MISMATCH,
            IssueCode.GROUP_NOT_SUPPORTED,
        ),
        Level.GROUP,
    ),
    **dict.fromkeys(
        (
            IssueCode.SET_NOT_SUPPORTED,
            IssueCode.SET_TRAILER_MISSING,
            IssueCode.SET_CONTROL_MISMATCH,
            IssueCode.SEGMENT_COUNT_MISMATCH,
            IssueCode.INVALID_SET_ID,
            IssueCode.INVALID_SET_CONTROL_NUMBER,
            IssueCode.DUPLICATE_SET_CONTROL_NUMBER,
            IssueCode.SET_NOT_IN_GROUP,
        ),
        Level.TRANSACTION,
    ),
    **dict.fromkeys(
        (
            IssueCode.UNRECOGNIZED_SEGMENT,
            IssueCode.UNEXPECTED_SEGMENT,
            IssueCode.MANDATORY_SEGMENT_MISSING,
            IssueCode.LOOP_OVER_MAXIMUM,
            IssueCode.SEGMENT_OVER_MAXIMUM,
            IssueCode.SEGMENT_OUT_OF_SEQUENCE,
        ),
        Level.SEGMENT,
    ),
    **dict.fromkeys(
        (
            IssueCode.MANDATORY_ELEMENT_MISSING,
            IssueCode.CONDITIONAL_ELEMENT_MISSING,
            IssueCode.TOO_MANY_ELEMENTS,
            IssueCode.ELEMENT_TOO_SHORT,
            IssueCode.ELEMENT_TOO_LONG,
            IssueCode.INVALID_CHARACTER,
            IssueCode.INVALID_CODE_VALUE,
            IssueCode.INVALID_DATE,
            IssueCode.INVALID_TIME,
            IssueCode.INVALID_NUMBER,
            IssueCode.HIERARCHY_INVALID,
        ),
        Level.ELEMENT,
    ),
    IssueCode.UNKNOWN_CODE: Level.BUSINESS,
    IssueCode.MISSING_VALUE: Level.BUSINESS,
}

# X12 code per issue: TA1 I18 note code, AK9/716, AK5/718, AK3/720 or AK4/723, by level.
X12_CODES: dict[IssueCode, str] = {
    IssueCode.INTERCHANGE_CONTROL_MISMATCH: "001",
    IssueCode.INVALID_SEGMENT_TERMINATOR: "004",
    IssueCode.INVALID_SENDER_ID: "006",
    IssueCode.INVALID_RECEIVER_ID: "008",
    IssueCode.UNKNOWN_RECEIVER: "009",
    IssueCode.INVALID_INTERCHANGE_DATE: "014",
    IssueCode.INVALID_INTERCHANGE_TIME: "015",
    IssueCode.INVALID_VERSION: "017",
    IssueCode.INVALID_INTERCHANGE_CONTROL_NUMBER: "018",
    IssueCode.INVALID_ACK_REQUESTED: "019",
    IssueCode.INVALID_TEST_INDICATOR: "020",
    IssueCode.GROUP_COUNT_MISMATCH: "021",
    IssueCode.INVALID_CONTROL_STRUCTURE: "022",
    IssueCode.INTERCHANGE_TRAILER_MISSING: "023",
    IssueCode.DUPLICATE_INTERCHANGE: "025",  # 4010 I18 has no duplicate code; 025 per later lists
    IssueCode.GROUP_NOT_SUPPORTED: "1",
    IssueCode.GROUP_TRAILER_MISSING: "2",
    IssueCode.GROUP_CONTROL_MISMATCH: "4",
    IssueCode.SET_COUNT_MISMATCH: "5",
    IssueCode.SET_NOT_SUPPORTED: "1",
    IssueCode.SET_TRAILER_MISSING: "2",
    IssueCode.SET_CONTROL_MISMATCH: "3",
    IssueCode.SEGMENT_COUNT_MISMATCH: "4",
    IssueCode.INVALID_SET_ID: "6",
    IssueCode.INVALID_SET_CONTROL_NUMBER: "7",
    IssueCode.SET_NOT_IN_GROUP: "18",
    IssueCode.DUPLICATE_SET_CONTROL_NUMBER: "23",
    IssueCode.UNRECOGNIZED_SEGMENT: "1",
    IssueCode.UNEXPECTED_SEGMENT: "2",
    IssueCode.MANDATORY_SEGMENT_MISSING: "3",
    IssueCode.LOOP_OVER_MAXIMUM: "4",
    IssueCode.SEGMENT_OVER_MAXIMUM: "5",
    IssueCode.SEGMENT_OUT_OF_SEQUENCE: "7",
    IssueCode.MANDATORY_ELEMENT_MISSING: "1",
    IssueCode.CONDITIONAL_ELEMENT_MISSING: "2",
    IssueCode.TOO_MANY_ELEMENTS: "3",
    IssueCode.ELEMENT_TOO_SHORT: "4",
    IssueCode.ELEMENT_TOO_LONG: "5",
    IssueCode.INVALID_CHARACTER: "6",
    IssueCode.INVALID_CODE_VALUE: "7",
    IssueCode.INVALID_DATE: "8",
    IssueCode.INVALID_TIME: "9",
    IssueCode.INVALID_NUMBER: "6",
    IssueCode.HIERARCHY_INVALID: "7",
}


@dataclass(frozen=True, slots=True)
class Location:
    """Where an issue sits. Every field is optional; fill what is known.

    `segment_position` is counted from 1: within the transaction set (ST = 1, as the 997 AK302
    counts) for segments inside a set, and within the file for envelope segments.
    """

    file: str | None = None
    interchange: str | None = None  # ISA13 / UNB 0020 / cXML payloadID
    group: str | None = None  # GS06 / UNG 0048
    transaction: str | None = None  # ST02 / UNH 0062
    segment_position: int | None = None
    segment_tag: str | None = None
    element: int | None = None  # 1-based element position (ISA01 = 1)
    component: int | None = None  # 1-based component position
    offset: int | None = None  # character offset in the file
    path: str | None = None  # in tree documents (cXML, JSON): the element or member, e.g. /cXML/Request

    def describe(self) -> str:
        """A short human string: `file.edi interchange 000000001 set 0001 segment 5 (BAK) element 3`."""
        parts: list[str] = []
        if self.file:
            parts.append(self.file)
        if self.interchange:
            parts.append(f"interchange {self.interchange}")
        if self.group:
            parts.append(f"group {self.group}")
        if self.transaction:
            parts.append(f"set {self.transaction}")
        if self.segment_position is not None or self.segment_tag:
            seg = "segment"
            if self.segment_position is not None:
                seg += f" {self.segment_position}"
            if self.segment_tag:
                seg += f" ({self.segment_tag})"
            parts.append(seg)
        if self.element is not None:
            parts.append(f"element {self.element}")
        if self.component is not None:
            parts.append(f"component {self.component}")
        if self.path:
            parts.append(f"at {self.path}")
        if self.offset is not None and self.segment_position is None:
            parts.append(f"offset {self.offset}")
        return " ".join(parts)

    def as_dict(self) -> dict[str, str | int]:
        return {k: v for k in self.__slots__ if (v := getattr(self, k)) is not None}


@dataclass(frozen=True, slots=True)
class Issue:
    """One validation finding, with its code, severity, place and a sentence for a person."""

    code: IssueCode
    severity: Severity
    location: Location
    message: str
    bad_value: str | None = None  # copy of the bad data (AK404)

    @property
    def level(self) -> Level:
        return LEVELS[self.code]

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "code": str(self.code),
            "severity": str(self.severity),
            "level": str(self.level),
            "location": self.location.as_dict(),
            "message": self.message,
        }
        if self.bad_value is not None:
            out["bad_value"] = self.bad_value
        return out


# EDIFACT 0085 syntax error code per issue, for the CONTRL's UCI/UCM/UCS/UCD (ISO 9735 code list:
# 2 syntax not supported, 7 not the actual recipient, 12 invalid value, 13 missing, 15 not supported
# in this position, 16 too many constituents, 19 invalid decimal notation, 21 invalid character,
# 25 test indicator not supported, 26 duplicate detected, 28 references do not match, 29 control
# count does not match, 30 groups and messages mixed, 35 too many repetitions, 37 invalid type of
# characters, 39 element too long, 40 element too short). Anything else is 18 (unspecified).
EDIFACT_CODES: dict[IssueCode, str] = {
    IssueCode.INTERCHANGE_CONTROL_MISMATCH: "28",
    IssueCode.INVALID_SEGMENT_TERMINATOR: "22",
    IssueCode.INVALID_SENDER_ID: "12",
    IssueCode.INVALID_RECEIVER_ID: "12",
    IssueCode.UNKNOWN_RECEIVER: "7",
    IssueCode.INVALID_INTERCHANGE_DATE: "12",
    IssueCode.INVALID_INTERCHANGE_TIME: "12",
    IssueCode.INVALID_VERSION: "2",
    IssueCode.INVALID_INTERCHANGE_CONTROL_NUMBER: "12",
    IssueCode.INVALID_ACK_REQUESTED: "12",
    IssueCode.INVALID_TEST_INDICATOR: "25",
    IssueCode.GROUP_COUNT_MISMATCH: "29",
    IssueCode.INVALID_CONTROL_STRUCTURE: "15",
    IssueCode.INTERCHANGE_TRAILER_MISSING: "13",
    IssueCode.DUPLICATE_INTERCHANGE: "26",
    IssueCode.GROUP_TRAILER_MISSING: "13",
    IssueCode.GROUP_CONTROL_MISMATCH: "28",
    IssueCode.SET_COUNT_MISMATCH: "29",
    IssueCode.GROUP_NOT_SUPPORTED: "15",
    IssueCode.SET_NOT_SUPPORTED: "15",
    IssueCode.SET_TRAILER_MISSING: "13",
    IssueCode.SET_CONTROL_MISMATCH: "28",
    IssueCode.SEGMENT_COUNT_MISMATCH: "29",
    IssueCode.INVALID_SET_ID: "12",
    IssueCode.INVALID_SET_CONTROL_NUMBER: "12",
    IssueCode.DUPLICATE_SET_CONTROL_NUMBER: "26",
    IssueCode.SET_NOT_IN_GROUP: "30",
    IssueCode.UNRECOGNIZED_SEGMENT: "15",
    IssueCode.UNEXPECTED_SEGMENT: "15",
    IssueCode.MANDATORY_SEGMENT_MISSING: "13",
    IssueCode.LOOP_OVER_MAXIMUM: "35",
    IssueCode.SEGMENT_OVER_MAXIMUM: "35",
    IssueCode.SEGMENT_OUT_OF_SEQUENCE: "15",
    IssueCode.MANDATORY_ELEMENT_MISSING: "13",
    IssueCode.CONDITIONAL_ELEMENT_MISSING: "13",
    IssueCode.TOO_MANY_ELEMENTS: "16",
    IssueCode.ELEMENT_TOO_SHORT: "40",
    IssueCode.ELEMENT_TOO_LONG: "39",
    IssueCode.INVALID_CHARACTER: "21",
    IssueCode.INVALID_CODE_VALUE: "12",
    IssueCode.INVALID_DATE: "12",
    IssueCode.INVALID_TIME: "12",
    IssueCode.INVALID_NUMBER: "19",
    IssueCode.HIERARCHY_INVALID: "12",
    IssueCode.UNKNOWN_CODE: "12",
    IssueCode.MISSING_VALUE: "13",
}
