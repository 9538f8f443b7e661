"""The X12 writer: fixed-width ISA, computed counts, composites and repetitions, refusal of delimiters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gateway.formats.x12.model import (
    Delimiters,
    GroupClosed,
    InterchangeClosed,
    Segment,
    TransactionSet,
    WriterEnvelope,
)
from gateway.formats.x12.reader import read
from gateway.formats.x12.writer import (
    GroupToWrite,
    OutSegment,
    Repeated,
    SetToWrite,
    UnwritableValueError,
    write_interchange,
    write_segment,
    write_set,
)

AT = datetime(2024, 1, 15, 12, 30, tzinfo=UTC)


def envelope(*, sender_id: str = "US", version: str = "00401") -> WriterEnvelope:
    return WriterEnvelope(
        sender_qualifier="ZZ",
        sender_id=sender_id,
        receiver_qualifier="01",
        receiver_id="THEM",
        version=version,
    )


def ack_set(control: str) -> SetToWrite:
    return SetToWrite(
        "855", control, [OutSegment("BAK", ("00", "AC", "PO1", "20240110")), OutSegment("CTT", ("1",))]
    )


def test_writes_a_fixed_width_isa_with_a_nine_digit_control_number() -> None:
    text = write_interchange(envelope(), interchange_control=42, groups=[], prepared_at=AT)
    isa = text.split("~")[0] + "~"
    assert len(isa) == 106
    assert isa == (
        "ISA*00*          *00*          *ZZ*US             *01*THEM           "
        "*240115*1230*U*00401*000000042*0*P*:~"
    )
    assert text.endswith("IEA*0*000000042~")


def test_isa11_is_the_repetition_separator_from_00402_and_u_before() -> None:
    new = write_interchange(envelope(version="00501"), interchange_control=1, groups=[], prepared_at=AT)
    old = write_interchange(envelope(version="00401"), interchange_control=1, groups=[], prepared_at=AT)
    assert new.split("*")[11] == "^"
    assert old.split("*")[11] == "U"


def test_counts_segments_sets_and_groups() -> None:
    groups = [
        GroupToWrite("PR", 7, [ack_set("0001"), ack_set("0002")]),
        GroupToWrite("PR", 8, [ack_set("0001")]),
    ]
    text = write_interchange(
        envelope(), interchange_control=9, groups=groups, prepared_at=AT, line_break="\n"
    )
    assert "SE*4*0001~\n" in text
    assert "GE*2*7~\n" in text
    assert "GE*1*8~\n" in text
    assert text.endswith("IEA*2*000000009~\n")
    found = list(read(text.encode()))
    closes = [i for i in found if isinstance(i, GroupClosed | InterchangeClosed | TransactionSet)]
    assert all(not i.issues for i in closes)


def test_st03_is_written_when_given() -> None:
    text, count = write_set(
        SetToWrite("999", "0001", [], implementation_reference="005010X231"), Delimiters()
    )
    assert text == "ST*999*0001*005010X231~SE*2*0001~"
    assert count == 2


def test_composites_and_repetitions_use_the_interchange_separators() -> None:
    seg = OutSegment("SLN", ("1", ("PC", "11.1", ""), Repeated(("A", ("B", "C"))), "", ""))
    assert write_segment(seg, Delimiters()) == "SLN*1*PC:11.1*A^B:C~"


def test_a_read_segment_is_written_element_for_element() -> None:
    seg = Segment("N3", ("80 TEST AVE", ""))
    assert write_segment(seg, Delimiters()) == "N3*80 TEST AVE*~"


@pytest.mark.parametrize(
    "value",
    ["A*B", "A~B", "A:B", "A^B"],
)
def test_refuses_a_value_that_contains_a_delimiter(value: str) -> None:
    with pytest.raises(UnwritableValueError) as caught:
        write_segment(OutSegment("REF", ("ZZ", value)), Delimiters())
    assert caught.value.location is not None
    assert caught.value.location.segment_tag == "REF"
    assert caught.value.location.element == 2


def test_refuses_repetitions_when_the_interchange_has_no_repetition_separator() -> None:
    with pytest.raises(UnwritableValueError):
        write_segment(OutSegment("REF", (Repeated(("A", "B")),)), Delimiters(repetition=None))


def test_refuses_isa_fields_that_do_not_fit() -> None:
    with pytest.raises(UnwritableValueError):
        write_interchange(envelope(sender_id="X" * 16), interchange_control=1, groups=[], prepared_at=AT)
    with pytest.raises(UnwritableValueError):
        write_interchange(envelope(), interchange_control=1_000_000_000, groups=[], prepared_at=AT)
