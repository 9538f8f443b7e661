"""Property tests of the X12 codec: write-then-read is identity for any legal delimiter set, and any
bytes either read fully or raise FormatError (never another exception)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.errors import FormatError
from gateway.formats.x12.model import (
    Delimiters,
    GroupClosed,
    InterchangeClosed,
    TransactionSet,
    WriterEnvelope,
)
from gateway.formats.x12.reader import read
from gateway.formats.x12.writer import GroupToWrite, OutSegment, SetToWrite, write_interchange

AT = datetime(2024, 1, 15, 12, 30, tzinfo=UTC)
# Delimiters X12 allows in practice: punctuation (ASCII and beyond) and, for the terminator, line breaks.
PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~…§¤"


@st.composite
def delimiter_sets(draw: st.DrawFn) -> Delimiters:
    chars = draw(st.lists(st.sampled_from(PUNCTUATION), min_size=4, max_size=4, unique=True))
    terminator = draw(st.sampled_from([chars[1], "\n", "\r"]))
    repetition = draw(st.sampled_from([chars[3], None]))
    return Delimiters(element=chars[0], segment=terminator, component=chars[2], repetition=repetition)


def values(delims: Delimiters) -> st.SearchStrategy[str]:
    banned = {delims.element, delims.segment, delims.component, delims.repetition, "\r", "\n"}
    alphabet = st.characters(
        blacklist_categories=("Cs", "Cc"), blacklist_characters="".join(c for c in banned if c)
    )
    return st.text(alphabet, min_size=1, max_size=12)


@st.composite
def interchanges(draw: st.DrawFn) -> tuple[Delimiters, list[list[list[list[str]]]]]:
    delims = draw(delimiter_sets())
    tag = st.from_regex(r"\A[A-Z][A-Z0-9]{1,2}\Z").filter(
        lambda t: t not in {"ST", "SE", "GS", "GE", "IEA", "ISA", "TA1", "ISB", "ISE"}
    )
    segment = st.tuples(tag, st.lists(values(delims), min_size=1, max_size=6)).map(lambda p: [p[0], *p[1]])
    sets = st.lists(st.lists(segment, min_size=0, max_size=6), min_size=1, max_size=3)
    return delims, draw(st.lists(sets, min_size=1, max_size=2))


@settings(max_examples=150, deadline=None)
@given(interchanges())
def test_writing_then_reading_gives_the_same_segments_for_any_legal_delimiter_set(
    case: tuple[Delimiters, list[list[list[list[str]]]]],
) -> None:
    delims, groups = case
    version = "00501" if delims.repetition else "00401"
    env = WriterEnvelope(
        sender_qualifier="ZZ",
        sender_id="A",
        receiver_qualifier="ZZ",
        receiver_id="B",
        version=version,
        delimiters=delims,
    )
    to_write = [
        GroupToWrite(
            "PR",
            g + 1,
            [
                SetToWrite("855", f"{n + 1:04d}", [OutSegment(seg[0], tuple(seg[1:])) for seg in body])
                for n, body in enumerate(sets)
            ],
        )
        for g, sets in enumerate(groups)
    ]
    text = write_interchange(env, interchange_control=7, groups=to_write, prepared_at=AT)
    found = list(read(text.encode("utf-8")))
    read_sets = [i for i in found if isinstance(i, TransactionSet)]
    assert [[[s.tag, *s.elements] for s in ts.body] for ts in read_sets] == [
        b for sets in groups for b in sets
    ]
    assert all(ts.delimiters == delims for ts in read_sets)
    assert all(not i.issues for i in found if isinstance(i, TransactionSet | GroupClosed | InterchangeClosed))


def consume(data: bytes) -> None:
    try:
        for _ in read(data, chunk_size=64):
            pass
    except FormatError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_read_fully_or_raise_format_error(data: bytes) -> None:
    consume(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_bytes_after_a_valid_isa_read_fully_or_raise_format_error(tail: bytes) -> None:
    head = b"ISA*00*          *00*          *ZZ*A              *ZZ*B              *240115*1230*^*00501*"
    head += b"000000001*0*P*:~"
    consume(head + tail)


@pytest.fixture(scope="module")
def corpus_files(shared_dir: Path) -> list[bytes]:
    return [p.read_bytes() for p in sorted((shared_dir / "corpus" / "x12").glob("*.edi"))]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_real_interchanges_read_fully_or_raise_format_error(
    corpus_files: list[bytes], data: st.DataObject
) -> None:
    original = data.draw(st.sampled_from(corpus_files))
    cut = data.draw(st.integers(0, len(original)))
    mutation = data.draw(st.sampled_from(["truncate", "insert", "replace", "delete"]))
    junk = data.draw(st.binary(min_size=1, max_size=8))
    if mutation == "truncate":
        mutated = original[:cut]
    elif mutation == "insert":
        mutated = original[:cut] + junk + original[cut:]
    elif mutation == "replace":
        mutated = original[:cut] + junk + original[cut + len(junk) :]
    else:
        mutated = original[:cut] + original[cut + len(junk) :]
    consume(mutated)


def outcome(data: bytes, *, chunk_size: int, scan: bool) -> tuple[list[object], str | None]:
    """The items read (sets with their segments split), and the error that stopped the reading."""
    found: list[object] = []
    try:
        for item in read(data, chunk_size=chunk_size, scan=scan):
            found.append(tuple(item.segments) if isinstance(item, TransactionSet) else item)
            found.append(item)
    except FormatError as exc:
        return found, exc.describe()
    return found, None


# What real files carry between and around segments, and what breaks them.
NOISE = [b"\n", b"\r\n", b"  ", b"\t", b"~", b"~~", b"*", b"SE", b"~SE~", b"~GS*", b"\r", b"ISA", b"\x00"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_fast_way_reads_what_the_one_at_a_time_way_reads(
    corpus_files: list[bytes], data: st.DataObject
) -> None:
    original = data.draw(st.sampled_from(corpus_files))
    mutated = original
    for _ in range(data.draw(st.integers(0, 3))):
        cut = data.draw(st.integers(0, len(mutated)))
        junk = data.draw(st.one_of(st.sampled_from(NOISE), st.binary(min_size=1, max_size=4)))
        mutated = mutated[:cut] + junk + mutated[cut:]
    if data.draw(st.booleans()):
        mutated = mutated.replace(b"~", b"~\n")
    chunk_size = data.draw(st.sampled_from([7, 64, 200, 1 << 20]))
    # Compared at the same chunk size: once the bytes are not UTF-8, where the chunks fall decides
    # which text is read as latin-1 (see the reader).
    assert outcome(mutated, chunk_size=chunk_size, scan=True) == outcome(
        mutated, chunk_size=chunk_size, scan=False
    )
