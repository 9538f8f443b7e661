"""The streaming X12 reader: framing, delimiters, streaming and every envelope check."""

from __future__ import annotations

import io

import pytest

from gateway.errors import FormatError
from gateway.formats.issues import Issue, IssueCode, Severity
from gateway.formats.x12.model import (
    GroupClosed,
    GroupOpened,
    InterchangeClosed,
    InterchangeOpened,
    Segment,
    TA1Received,
    TransactionSet,
    X12Item,
)
from gateway.formats.x12.reader import read
from tests.formats.x12.text import group, interchange, isa, items, segments, set_855


def sets_of(found: list[X12Item]) -> list[TransactionSet]:
    return [i for i in found if isinstance(i, TransactionSet)]


def all_issues(found: list[X12Item]) -> list[Issue]:
    out: list[Issue] = []
    for item in found:
        if isinstance(item, TransactionSet | GroupClosed | InterchangeClosed):
            out.extend(item.issues)
    return out


def codes(found: list[X12Item]) -> set[IssueCode]:
    return {i.code for i in all_issues(found)}


def test_yields_items_in_file_order_for_a_clean_interchange() -> None:
    found = items(interchange(group([set_855("0001"), set_855("0002")])))
    kinds = [type(i) for i in found]
    assert kinds == [
        InterchangeOpened,
        GroupOpened,
        TransactionSet,
        TransactionSet,
        GroupClosed,
        InterchangeClosed,
    ]
    assert all_issues(found) == []
    first = sets_of(found)[0]
    assert first.set_id == "855"
    assert first.control_number == "0001"
    assert [s.tag for s in first.segments] == ["ST", "BAK", "PO1", "CTT", "SE"]
    assert [s.position for s in first.segments] == [1, 2, 3, 4, 5]
    assert first.body[0] == Segment("BAK", ("00", "AC", "PO1", "20240110"), 2, first.body[0].offset)
    assert first.group is not None
    assert first.group.functional_id == "PR"


def test_segment_offsets_point_at_the_segment_text() -> None:
    text = interchange(group([set_855()]))
    for ts in sets_of(items(text)):
        for seg in ts.segments:
            assert text[seg.offset : seg.offset + len(seg.tag)] == seg.tag


def test_ordinal_counts_sets_across_groups_and_interchanges() -> None:
    one = interchange(group([set_855("0001")]), group([set_855("0001")], control="2"))
    two = interchange(group([set_855("0009")]), control="000000002")
    found = sets_of(items(one + "\n" + two))
    assert [s.ordinal for s in found] == [0, 1, 2]
    assert [s.index for s in found] == [0, 0, 0]
    assert [s.interchange.index for s in found] == [0, 0, 1]


def test_each_interchange_uses_its_own_delimiters() -> None:
    first = interchange(group([set_855()]))
    second = isa("000000002", el="|", comp=":", term="\n") + segments(
        "GS|PR|A|B|20240115|1230|7|X|004010",
        "ST|855|0001",
        "BAK|00|AC|X:Y",
        "SE|3|0001",
        "GE|1|7",
        "IEA|1|000000002",
        term="\n",
    )
    found = items(first + second)
    second_set = sets_of(found)[1]
    assert second_set.delimiters.element == "|"
    assert second_set.delimiters.segment == "\n"
    assert second_set.body[0].components(3, second_set.delimiters) == ("X", "Y")
    assert all_issues(found) == []


@pytest.mark.parametrize(
    ("term", "before", "after"),
    [
        ("~", "", "\n"),
        ("~", "", "\r\n"),
        ("\n", "", ""),
        ("\r", "", "\n"),
        ("\n", "\r", ""),
        ("~", "", "\r\n    "),
    ],
)
def test_line_breaks_and_indentation_between_segments_are_ignored(term: str, before: str, after: str) -> None:
    segs = [*group([set_855()]), "IEA*1*000000001"]
    text = isa(term=term) + after + "".join(seg + before + term + after for seg in segs)
    found = items(text)
    assert all_issues(found) == []
    [ts] = sets_of(found)
    assert [s.tag for s in ts.segments] == ["ST", "BAK", "PO1", "CTT", "SE"]
    assert ts.segments[-1].elements == ("5", "0001")


def test_a_leading_byte_order_mark_is_skipped() -> None:
    found = items(b"\xef\xbb\xbf" + interchange(group([set_855()])).encode())
    assert len(sets_of(found)) == 1
    assert all_issues(found) == []


def test_a_non_fixed_width_isa_is_read_by_counting_separators() -> None:
    text = "ISA*00* *00* *ZZ*ME *ZZ*YOU*240115*1230*U*00401*000000001*0*T*>~" + segments(
        *group([set_855()]), "IEA*1*000000001"
    )
    found = items(text)
    header = found[0]
    assert isinstance(header, InterchangeOpened)
    assert header.header.sender_id == "ME"
    assert header.header.usage == "T"
    assert all_issues(found) == []


def test_isa11_is_the_repetition_separator_from_00402_on() -> None:
    old = items(interchange(group([set_855()]), version="00401", isa11="^"))[0]
    new = items(interchange(group([set_855()]), version="00501", isa11="^"))[0]
    assert isinstance(old, InterchangeOpened)
    assert isinstance(new, InterchangeOpened)
    assert old.header.delimiters.repetition is None
    assert new.header.delimiters.repetition == "^"


def test_isb_and_ise_are_skipped_and_ta1_is_yielded() -> None:
    text = isa() + segments(
        "ISB*1", "ISE*200601*0515*04", "TA1*000000777*240115*1230*A*000", "IEA*0*000000001"
    )
    found = items(text)
    ta1 = [i for i in found if isinstance(i, TA1Received)]
    assert len(ta1) == 1
    assert ta1[0].segment.elements[0] == "000000777"
    assert all_issues(found) == []


def test_a_utf8_character_split_across_chunks_is_decoded_whole() -> None:
    text = interchange(group([["ST*855*0001", "N1*ST*CAFÉ…", "SE*3*0001"]]))
    found = sets_of(items(text.encode("utf-8"), chunk_size=1))
    assert found[0].body[0].elements == ("ST", "CAFÉ…")


def test_latin1_bytes_are_read_as_latin1() -> None:
    text = interchange(group([["ST*855*0001", "N1*ST*CAFÉ", "SE*3*0001"]]))
    found = sets_of(items(text.encode("latin-1"), chunk_size=64))
    assert found[0].body[0].elements == ("ST", "CAFÉ")


@pytest.mark.parametrize("chunk_size", [1, 7, 100, 1 << 20])
def test_chunk_size_does_not_change_what_is_read(chunk_size: int) -> None:
    text = (
        interchange(group([set_855("0001"), set_855("0002")]))
        + "\r\n"
        + interchange(group([set_855()]), control="000000002")
    )
    assert items(text, chunk_size=chunk_size) == items(text)


class CountingStream(io.BytesIO):
    """A stream that records how far it has been read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.high_water = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.high_water = self.tell()
        return data


def test_sets_are_yielded_before_the_stream_is_exhausted() -> None:
    many = [set_855(f"{n:04d}") for n in range(1, 2001)]
    data = interchange(group(many)).encode()
    stream = CountingStream(data)
    reader = read(stream, chunk_size=4096)
    first = next(i for i in reader if isinstance(i, TransactionSet))
    assert first.control_number == "0001"
    assert stream.high_water < len(data) // 4


# -- envelope checks -------------------------------------------------------------------------------


def test_reports_iea01_that_does_not_count_the_groups() -> None:
    found = items(interchange(group([set_855()]), iea="IEA*2*000000001"))
    closed = found[-1]
    assert isinstance(closed, InterchangeClosed)
    assert closed.declared_group_count == 2
    assert closed.group_count == 1
    [issue] = closed.issues
    assert issue.code is IssueCode.GROUP_COUNT_MISMATCH
    assert issue.location.segment_tag == "IEA"
    assert issue.location.element == 1


def test_reports_iea02_that_differs_from_isa13() -> None:
    found = items(interchange(group([set_855()]), iea="IEA*1*000000002"))
    assert codes(found) == {IssueCode.INTERCHANGE_CONTROL_MISMATCH}


def test_reports_ge01_that_does_not_count_the_sets() -> None:
    found = items(interchange(group([set_855()], ge="GE*3*1")))
    closed = next(i for i in found if isinstance(i, GroupClosed))
    assert closed.declared_set_count == 3
    assert closed.set_count == 1
    assert [i.code for i in closed.issues] == [IssueCode.SET_COUNT_MISMATCH]
    assert closed.issues[0].location.group == "1"


def test_reports_ge02_that_differs_from_gs06() -> None:
    assert codes(items(interchange(group([set_855()], ge="GE*1*2")))) == {IssueCode.GROUP_CONTROL_MISMATCH}


def test_reports_se01_that_does_not_count_the_segments_with_the_se_position() -> None:
    found = items(interchange(group([set_855(count=9)])))
    [issue] = all_issues(found)
    assert issue.code is IssueCode.SEGMENT_COUNT_MISMATCH
    assert issue.severity is Severity.ERROR
    loc = issue.location
    assert (loc.file, loc.interchange, loc.group, loc.transaction) == ("test.edi", "000000001", "1", "0001")
    assert (loc.segment_position, loc.segment_tag, loc.element) == (5, "SE", 1)
    assert issue.bad_value == "9"


def test_reports_se02_that_differs_from_st02() -> None:
    assert codes(items(interchange(group([set_855(se_control="0002")])))) == {IssueCode.SET_CONTROL_MISMATCH}


def test_reports_st02_repeated_within_a_group_but_not_across_groups() -> None:
    same_group = items(interchange(group([set_855("0001"), set_855("0001")])))
    [issue] = all_issues(same_group)
    assert issue.code is IssueCode.DUPLICATE_SET_CONTROL_NUMBER
    assert sets_of(same_group)[1].issues == (issue,)
    two_groups = items(interchange(group([set_855("0001")]), group([set_855("0001")], control="2")))
    assert all_issues(two_groups) == []


def test_reports_a_set_that_does_not_belong_to_its_gs01_as_a_warning() -> None:
    found = items(interchange(group([set_855()], gs01="PO")))
    [issue] = all_issues(found)
    assert issue.code is IssueCode.INVALID_SET_ID
    assert issue.severity is Severity.WARNING
    assert (issue.location.segment_tag, issue.location.element) == ("ST", 1)


def test_reports_a_missing_se_when_the_next_st_arrives() -> None:
    unterminated = set_855("0001")[:-1]
    found = items(interchange(group([unterminated, set_855("0002")])))
    first, second = sets_of(found)
    assert [i.code for i in first.issues] == [IssueCode.SET_TRAILER_MISSING]
    assert second.issues == ()
    assert [s.tag for s in first.segments] == ["ST", "BAK", "PO1", "CTT"]


def test_reports_missing_ge_and_iea_at_the_end_of_input() -> None:
    text = isa() + segments(*group([set_855()])[:-1])
    found = items(text)
    assert isinstance(found[-1], InterchangeClosed)
    assert codes(found) == {IssueCode.GROUP_TRAILER_MISSING, IssueCode.INTERCHANGE_TRAILER_MISSING}


def test_reports_a_missing_iea_when_the_next_isa_arrives() -> None:
    first = isa() + segments(*group([set_855()]))
    found = items(first + interchange(group([set_855()]), control="000000002"))
    closes = [i for i in found if isinstance(i, InterchangeClosed)]
    assert [i.code for i in closes[0].issues] == [IssueCode.INTERCHANGE_TRAILER_MISSING]
    assert closes[1].issues == ()


def test_reports_a_set_outside_any_group() -> None:
    found = items(isa() + segments(*set_855(), "IEA*0*000000001"))
    [ts] = sets_of(found)
    assert ts.group is None
    assert [i.code for i in ts.issues] == [IssueCode.SET_NOT_IN_GROUP]


def test_reports_a_stray_segment_between_sets() -> None:
    found = items(interchange(group([set_855(), ["REF*XX*1"]])))
    assert IssueCode.INVALID_CONTROL_STRUCTURE in codes(found)


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("control", "12345", IssueCode.INVALID_INTERCHANGE_CONTROL_NUMBER),
        ("control", "00000000A", IssueCode.INVALID_INTERCHANGE_CONTROL_NUMBER),
        ("usage", "X", IssueCode.INVALID_TEST_INDICATOR),
        ("ack", "2", IssueCode.INVALID_ACK_REQUESTED),
        ("date", "241315", IssueCode.INVALID_INTERCHANGE_DATE),
        ("time", "2561", IssueCode.INVALID_INTERCHANGE_TIME),
        ("version", "4010X", IssueCode.INVALID_VERSION),
    ],
)
def test_reports_invalid_isa_fields(field: str, value: str, code: IssueCode) -> None:
    args = {field: value}
    control = value if field == "control" else "000000001"
    text = isa(**args) if field != "control" else isa(control)
    found = items(text + segments(*group([set_855()]), f"IEA*1*{control}"))
    closed = found[-1]
    assert isinstance(closed, InterchangeClosed)
    assert [i.code for i in closed.issues] == [code]
    assert closed.issues[0].location.segment_tag == "ISA"


def test_reports_a_repeated_isa13_in_the_same_file_as_a_warning() -> None:
    one = interchange(group([set_855()]))
    closes = [i for i in items(one + one) if isinstance(i, InterchangeClosed)]
    assert [(i.code, i.severity) for i in closes[1].issues] == [
        (IssueCode.DUPLICATE_INTERCHANGE, Severity.WARNING)
    ]


# -- what cannot be framed -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"  \r\n ", "empty"),
        (b"GS*PO*A*B~", "ISA"),
        (b"ISA*00*    ", "truncated"),
        (isa().encode()[:80], "truncated"),
        (isa(el="A").encode(), "letter"),
        (isa(comp="1").encode(), "letter"),
        (isa(term="Z").encode(), "letter"),
        (isa(comp="~").encode(), "same character"),
        (b"\x00\xff\xfe\x01garbage", "ISA"),
        ((interchange(group([set_855()])) + "GS*PR*X~").encode(), "only an ISA"),
    ],
)
def test_raises_format_error_for_bytes_that_cannot_be_framed(data: bytes, words: str) -> None:
    with pytest.raises(FormatError) as caught:
        list(read(data, file_name="bad.edi"))
    assert words in str(caught.value)
    assert caught.value.location is not None
    assert caught.value.location.file == "bad.edi"
    assert "bad.edi" in caught.value.describe()


def test_format_error_after_an_interchange_names_the_offset_and_tag() -> None:
    good = interchange(group([set_855()]))
    with pytest.raises(FormatError) as caught:
        list(read((good + "GS*PR*X~").encode()))
    loc = caught.value.location
    assert loc is not None
    assert loc.offset == len(good)
    assert loc.segment_tag == "GS"
