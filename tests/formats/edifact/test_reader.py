"""The EDIFACT reader: service characters, repertoires, envelopes and the issues they raise."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench import edifact_bench
from gateway.errors import FormatError
from gateway.formats.edifact import model, reader
from gateway.formats.issues import IssueCode, Severity

ORDRSP = (
    "UNB+UNOC:3+SUPPLIER:14+BUYER:ZZ+260310:0915+IC42++++1'"
    "UNH+1+ORDRSP:D:96A:UN'BGM+231+R1+29'DTM+137:20260310:102'RFF+ON:PO1'UNT+5+1'"
    "UNZ+1+IC42'"
)


def items(text: str | bytes, chunk_size: int = reader.CHUNK_SIZE) -> list[model.EdifactItem]:
    data = text.encode("latin-1") if isinstance(text, str) else text
    return list(reader.read(data, file_name="in.edi", chunk_size=chunk_size))


def messages(text: str | bytes) -> list[model.Message]:
    return [i for i in items(text) if isinstance(i, model.Message)]


def codes(found: list[model.EdifactItem]) -> set[IssueCode]:
    return {issue.code for item in found for issue in getattr(item, "issues", ())}


def test_reads_an_interchange_without_una_with_the_default_service_characters() -> None:
    found = items(ORDRSP)
    assert [type(i).__name__ for i in found] == ["InterchangeOpened", "Message", "InterchangeClosed"]
    opened, message, closed = found
    assert isinstance(opened, model.InterchangeOpened)
    assert opened.header.control_reference == "IC42"
    assert opened.header.sender_id == "SUPPLIER"
    assert opened.header.sender_qualifier == "14"
    assert opened.header.ack_request == "1"
    assert isinstance(message, model.Message)
    assert message.id.directory == "D96A"
    assert message.reference == "1"
    assert [s.tag for s in message.segments] == ["UNH", "BGM", "DTM", "RFF", "UNT"]
    assert message.segments[3].get(1, 2) == "PO1"
    assert isinstance(closed, model.InterchangeClosed)
    assert not closed.issues


def test_una_with_other_characters_a_newline_terminator_and_released_separators() -> None:
    text = (
        "UNA=*.# \nUNB*UNOC=3*S*R*260310=0915*IC1\n"
        "UNH*1*DESADV=D=96A=UN\nBGM*231*A#*B#=C##\nUNT*3*1\r\nUNZ*1*IC1\n"
    )
    (message,) = messages(text)
    bgm = message.segments[1]
    assert bgm.components(2, message.chars) == ("A*B=C#",)
    assert not message.issues


def test_a_released_terminator_across_a_chunk_boundary_reads_the_same() -> None:
    text = "UNA:+.? 'UNB+UNOC:3+S+R+260310:0915+IC1'UNH+1+ORDRSP:D:96A:UN'BGM+231+IT?'S+29'UNT+3+1'UNZ+1+IC1'"
    whole = messages(text)
    for size in range(1, 40):
        parts = [i for i in items(text, chunk_size=size) if isinstance(i, model.Message)]
        assert parts == whole
    assert whole[0].segments[1].get(2, 1, whole[0].chars) == "IT'S"


def test_bare_messages_without_unb_are_read_alone() -> None:
    (message,) = messages("UNH+7+DESADV:D:96A:UN'BGM+351+D1+9'UNT+3+7'")
    assert message.interchange is None
    assert not message.is_test
    assert not message.issues


def test_reports_unt_count_and_reference_with_their_position() -> None:
    (message,) = messages(ORDRSP.replace("UNT+5+1", "UNT+9+2"))
    by_code = {i.code: i for i in message.issues}
    count = by_code[IssueCode.SEGMENT_COUNT_MISMATCH]
    assert count.severity is Severity.ERROR
    assert count.location.as_dict() == {
        "file": "in.edi",
        "interchange": "IC42",
        "transaction": "1",
        "segment_position": 5,
        "segment_tag": "UNT",
        "element": 1,
    }
    assert by_code[IssueCode.SET_CONTROL_MISMATCH].bad_value == "2"


def test_reports_unz_count_and_reference_and_a_missing_trailer() -> None:
    closed = items(ORDRSP.replace("UNZ+1+IC42", "UNZ+3+IC43"))[-1]
    assert isinstance(closed, model.InterchangeClosed)
    assert {i.code for i in closed.issues} == {
        IssueCode.GROUP_COUNT_MISMATCH,
        IssueCode.INTERCHANGE_CONTROL_MISMATCH,
    }
    assert codes(items(ORDRSP.removesuffix("UNZ+1+IC42'"))) == {IssueCode.INTERCHANGE_TRAILER_MISSING}


def test_checks_une_against_ung_and_unz_counts_groups() -> None:
    text = ORDRSP.replace("UNH+1", "UNG+ORDRSP+S+R+260310:0915+G1+UN+D:96A'UNH+1").replace(
        "UNZ+1+IC42", "UNE+2+G9'UNZ+1+IC42"
    )
    found = items(text)
    group = next(i for i in found if isinstance(i, model.GroupClosed))
    assert {i.code for i in group.issues} == {IssueCode.SET_COUNT_MISMATCH, IssueCode.GROUP_CONTROL_MISMATCH}
    assert group.issues[0].location.group == "G1"
    assert isinstance(found[-1], model.InterchangeClosed)
    assert not found[-1].issues


def test_reports_missing_mandatory_segments_and_bgm_out_of_place() -> None:
    (message,) = messages(ORDRSP.replace("BGM+231+R1+29'DTM+137:20260310:102'", "RFF+AAA:1'BGM+231+R1+29'"))
    found = {i.code: i for i in message.issues}
    assert found[IssueCode.MANDATORY_SEGMENT_MISSING].bad_value == "DTM"
    assert found[IssueCode.SEGMENT_OUT_OF_SEQUENCE].location.segment_position == 2


def test_unb_0035_marks_a_test_interchange() -> None:
    (message,) = messages(ORDRSP.replace("IC42++++1'", "IC42++++1++1'"))
    assert message.is_test


def test_decodes_in_the_repertoire_the_unb_declares() -> None:
    latin = ORDRSP.replace("R1", "Grüße").encode("latin-1")
    assert messages(latin)[0].segments[1].get(2) == "Grüße"
    utf8 = ORDRSP.replace("UNOC", "UNOW").replace("R1", "Grüße").encode("utf-8")
    assert messages(utf8)[0].segments[1].get(2) == "Grüße"
    with pytest.raises(FormatError) as raised:
        items(ORDRSP.replace("UNOC", "UNOW").encode() + b"\xff")
    assert raised.value.location is not None
    assert raised.value.location.offset is not None


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"BGM+220+X'UNH+1+ORDERS:D:96A:UN'", "starts with"),
        (b"UNA:::::'UNB+UNOC:3'", "must differ"),
        (b"UNA12345'", "must differ"),
    ],
)
def test_bytes_that_cannot_be_framed_raise_a_format_error_with_a_location(data: bytes, says: str) -> None:
    with pytest.raises(FormatError, match=says) as raised:
        items(data)
    assert raised.value.location is not None
    assert raised.value.location.file == "in.edi"


_SEGMENT_CHECKS = {IssueCode.MANDATORY_SEGMENT_MISSING, IssueCode.SEGMENT_OUT_OF_SEQUENCE}


def _framed(item: model.EdifactItem) -> object:
    """What framing alone gives of an item: a message's envelope (UNH, UNT, the segment count) and
    the issues that are not about its segments."""
    if isinstance(item, model.Message):
        issues = tuple(i for i in item.issues if i.code not in _SEGMENT_CHECKS)
        ends = (item.segments[0], item.segments[-1])
        return (
            item.reference,
            item.id,
            issues,
            item.index,
            item.ordinal,
            item.interchange,
            len(item.segments),
            ends,
        )
    return item


def _read_all(
    data: bytes, name: str, skip: Callable[[], bool] | None, chunk_size: int = reader.CHUNK_SIZE
) -> list[model.EdifactItem] | FormatError:
    try:
        return list(reader.read(data, file_name=name, skip=skip, chunk_size=chunk_size))
    except FormatError as exc:
        return exc


def test_skipped_messages_are_framed_alike_and_their_segments_left_unsplit(
    shared_dir: Path, tmp_path: Path
) -> None:
    bench = tmp_path / "bench.edi"
    edifact_bench.generate(bench, size_mb=0.05)
    files = [bench, *sorted((shared_dir / "corpus" / "edifact").glob("*.edi"))]
    skipped = 0
    for path in files:
        data = path.read_bytes()
        whole = _read_all(data, path.name, None)
        alternate = _read_all(data, path.name, itertools.cycle([False, True]).__next__)
        if isinstance(whole, FormatError):
            assert isinstance(alternate, FormatError)
            assert str(alternate) == str(whole)
            continue
        assert not isinstance(alternate, FormatError)
        assert [_framed(i) for i in alternate] == [_framed(i) for i in whole]
        for mine, theirs in zip(alternate, whole, strict=True):
            if isinstance(mine, model.Message) and isinstance(theirs, model.Message) and mine != theirs:
                assert {s.tag for s in mine.segments[1:-1]} <= {""}  # placeholders
                skipped += 1
            else:
                assert mine == theirs  # read in full: exactly as without `skip`
    assert skipped > 10


# Segment texts for the framed-only reading: "UN" inside data, released terminators and release
# characters, blank and empty segments, line breaks and blanks around segments.
_BODY = st.lists(
    st.lists(
        st.sampled_from(["LIN", "QTY", "+", ":", "1", "UN", "U", "N", "?'", "??", "?", " ", "\n"]), max_size=6
    ).map("".join),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_BODY, min_size=1, max_size=4), st.sampled_from(["'", "'\n", "'\r\n"]), st.integers(1, 64))
def test_framed_only_messages_count_the_same_segments_whatever_their_text(
    bodies: list[list[str]], terminator: str, chunk_size: int
) -> None:
    parts = ["UNB+UNOC:3+S:14+R:ZZ+260310:0915+IC1"]
    for n, body in enumerate(bodies, 1):
        parts += [f"UNH+{n}+ORDRSP:D:96A:UN", *body, f"UNT+{len(body) + 2}+{n}"]
    data = (terminator.join([*parts, f"UNZ+{len(bodies)}+IC1"]) + terminator).encode()
    whole = _read_all(data, "t.edi", None)
    for skip in (lambda: True, itertools.cycle([True, False]).__next__):
        framed = _read_all(data, "t.edi", skip, chunk_size)
        if isinstance(whole, FormatError) or isinstance(framed, FormatError):
            assert str(framed) == str(whole)
            continue
        assert [_counted(i) for i in framed] == [_counted(i) for i in whole]


def _counted(item: model.EdifactItem) -> object:
    """`_framed`, with a missing trailer placed by code alone: a message framed only reports it at
    its last placeholder, the message read in full at its last segment (only the process that maps
    the message reports its issues)."""
    framed = _framed(item)
    if not isinstance(item, model.Message):
        return framed
    assert isinstance(framed, tuple)
    missing = any(i.code is IssueCode.SET_TRAILER_MISSING for i in item.issues)
    issues = tuple((i.code, i.message) if i.code is IssueCode.SET_TRAILER_MISSING else i for i in framed[2])
    return (*framed[:2], issues, *framed[3:7], framed[7][0] if missing else framed[7])


def test_skip_is_asked_once_the_message_before_is_taken_even_without_its_unt() -> None:
    text = (
        "UNB+UNOC:3+S:14+R:ZZ+260310:0915+IC1'"
        "UNH+1+ORDRSP:D:96A:UN'BGM+231+R1+29'RFF+ON:PO1'"  # no UNT: the next UNH closes it
        "UNH+2+ORDRSP:D:96A:UN'BGM+231+R2+29'RFF+ON:PO2'UNT+4+2'"
        "UNH+3+ORDRSP:D:96A:UN'BGM+231+R3+29'RFF+ON:PO3'UNT+4+3'UNZ+3+IC1'"
    )
    taken: list[model.Message] = []
    for item in reader.read(text.encode(), skip=lambda: len(taken) % 2 == 1):
        if isinstance(item, model.Message):
            taken.append(item)
    first, second, third = taken
    assert [s.tag for s in first.segments] == ["UNH", "BGM", "RFF"]  # read in full, UNT missing
    assert IssueCode.SET_TRAILER_MISSING in {i.code for i in first.issues}
    assert [s.tag for s in second.segments] == ["UNH", "", "", "UNT"]  # skipped: one message taken
    assert not second.issues
    assert [s.tag for s in third.segments] == ["UNH", "BGM", "RFF", "UNT"]
