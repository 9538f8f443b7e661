"""Property tests of the EDIFACT codec: write-then-read gives the same segments for any usable UNA
service characters (values holding separators, the terminator and the release character included),
the counts in the trailers always match, and any bytes either read or raise FormatError."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.errors import FormatError
from gateway.formats.edifact import model, reader, writer
from gateway.formats.issues import Severity

AT = datetime(2026, 3, 10, 9, 15, tzinfo=UTC)
PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"


@st.composite
def service_chars(draw: st.DrawFn) -> model.ServiceChars:
    picked = draw(st.lists(st.sampled_from(PUNCTUATION), min_size=5, max_size=5, unique=True))
    terminator = draw(st.sampled_from([picked[3], "\n"]))
    return model.ServiceChars(
        component=picked[0], element=picked[1], release=picked[2], segment=terminator, repetition=picked[4]
    )


def texts() -> st.SearchStrategy[str]:
    # Any printable text, service characters included (the writer releases them); no line breaks.
    return st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=10).filter(
        lambda t: t.strip() == t
    )


segments = st.tuples(
    st.from_regex(r"\A[A-Z]{3}\Z").filter(
        lambda t: t not in {"UNA", "UNB", "UNZ", "UNG", "UNE", "UNH", "UNT"}
    ),
    st.lists(st.lists(texts(), min_size=1, max_size=3), min_size=1, max_size=4),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(service_chars(), st.lists(st.lists(segments, min_size=1, max_size=5), min_size=1, max_size=3))
def test_writing_then_reading_gives_the_same_segments_for_any_una(
    chars: model.ServiceChars, messages: list[list[tuple[str, list[list[str]]]]]
) -> None:
    env = writer.WriterEnvelope(
        sender_id="SENDER", recipient_id="RECIPIENT", chars=chars, syntax="UNOW", syntax_version=4
    )
    out = [
        writer.MessageToWrite(
            reference=f"M{i}",
            type="IFTMIN",  # no mandatory-segment check applies
            version="D",
            release="96A",
            body=tuple(writer.WSegment(tag, tuple(els)) for tag, els in body),
        )
        for i, body in enumerate(messages)
    ]
    text = writer.write_interchange(env, control_reference="IC1", messages=out, prepared_at=AT)
    items = list(reader.read(text.encode("utf-8")))
    read = [i for i in items if isinstance(i, model.Message)]
    assert [m.reference for m in read] == [m.reference for m in out]
    for message, body in zip(read, messages, strict=True):
        assert not [i for i in message.issues if i.severity is Severity.ERROR]
        inner = message.segments[1:-1]
        assert [s.tag for s in inner] == [tag for tag, _ in body]
        for seg, (_, els) in zip(inner, body, strict=True):
            assert [list(seg.components(n, chars)) for n in range(1, len(els) + 1)] == els
    closed = items[-1]
    assert isinstance(closed, model.InterchangeClosed)
    assert closed.declared_count == closed.count == len(messages)
    assert not closed.issues


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_read_or_raise_format_error(data: bytes) -> None:
    with contextlib.suppress(FormatError):
        list(reader.read(data))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="UNABHTZG+:'?*.\n 0123456789ORDSPX", max_size=200))
def test_any_text_of_edifact_characters_reads_or_raises_format_error(text: str) -> None:
    with contextlib.suppress(FormatError):
        list(reader.read(("UNA:+.? '" + text).encode()))


def _cut_one_character_at_a_time(text: str, chars: model.ServiceChars) -> list[str]:
    """The segments of `text` as a reader going character by character sees them: a release
    character takes the next character as data, a terminator not so taken ends a segment."""
    out: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == chars.release and i + 1 < len(text):
            current += [c, text[i + 1]]
            i += 2
        elif c == chars.segment:
            out.append("".join(current))
            current = []
            i += 1
        else:
            current.append(c)
            i += 1
    return [*out, "".join(current)]


@settings(max_examples=400, deadline=None)
@given(service_chars(), st.data())
def test_the_segment_cut_agrees_with_a_character_by_character_reading(
    chars: model.ServiceChars, data: st.DataObject
) -> None:
    # Runs of release characters before terminators, odd and even, at every place in a chunk.
    alphabet = ["a", "B", chars.element, chars.component, chars.release, chars.segment]
    pieces = data.draw(st.lists(st.sampled_from(alphabet), max_size=40))
    text = "".join(pieces)
    assert reader._Cut(chars).split(text) == _cut_one_character_at_a_time(text, chars)
