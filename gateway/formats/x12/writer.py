"""X12 writer: segments, sets, groups and whole interchanges (X12 control segments ISA/IEA, GS/GE, ST/SE).

The writer computes every count (SE01 = segments ST..SE inclusive, GE01 = sets, IEA01 = groups), pads
the ISA to its fixed width (ISA02/ISA04 10 characters, ISA06/ISA08 15, ISA13 9 digits) and writes ISA11
as the repetition separator from version 00402 on and "U" before.

X12 has no release (escape) character, so a value that contains one of the interchange's delimiters
cannot be written: the writer raises `UnwritableValueError` (a `FormatError`, with the segment and
element in its location) instead of producing an interchange that reads back differently.

Control numbers are arguments: allocating them (per partner, persisted) is the store's job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from gateway.errors import FormatError
from gateway.formats.issues import Location
from gateway.formats.x12.model import Delimiters, InterchangeHeader, Segment, WriterEnvelope


class UnwritableValueError(FormatError):
    """A value cannot be written with these delimiters (it contains one, or a field is too long)."""

    type = "/problems/unwritable-x12-value"
    title = "Value cannot be written as X12"


@dataclass(frozen=True, slots=True)
class Repeated:
    """A repeating element: its repetitions, each a simple value or a composite (tuple of components)."""

    values: tuple[str | tuple[str, ...], ...]


# A simple value, a composite (its components) or a repeated element.
ElementValue = str | tuple[str, ...] | Repeated


@dataclass(frozen=True, slots=True)
class OutSegment:
    """A segment to write, with structured elements (the writer joins components and repetitions)."""

    tag: str
    elements: tuple[ElementValue, ...] = ()


@dataclass(frozen=True, slots=True)
class SetToWrite:
    """One transaction set: its id (ST01), control number (ST02), body (no ST/SE) and optional ST03."""

    set_id: str
    control_number: str
    body: Sequence[Segment | OutSegment]
    implementation_reference: str = ""


@dataclass(frozen=True, slots=True)
class GroupToWrite:
    """One functional group: GS01, GS06 and its sets."""

    functional_id: str
    control_number: int
    sets: Sequence[SetToWrite] = field(default_factory=tuple)


def _refuse(value: str, chars: str, tag: str, element: int, component: int | None = None) -> None:
    bad = next((c for c in chars if c in value), None)
    if bad is not None:
        where = Location(segment_tag=tag, element=element, component=component)
        raise UnwritableValueError(
            f"{tag}{element:02d} value {value!r} contains the delimiter {bad!r}; X12 has no escape",
            where,
            bad_value=value,
        )


def _simple_chars(d: Delimiters) -> str:
    return d.element + d.segment + d.component + (d.repetition or "")


def _element(value: ElementValue, d: Delimiters, tag: str, n: int) -> str:
    if isinstance(value, str):
        _refuse(value, _simple_chars(d), tag, n)
        return value
    if isinstance(value, Repeated):
        if d.repetition is None and len(value.values) > 1:
            where = Location(segment_tag=tag, element=n)
            raise UnwritableValueError(
                f"{tag}{n:02d} repeats, but the interchange has no repetition separator", where
            )
        return (d.repetition or "").join(_element(v, d, tag, n) for v in value.values)
    for i, part in enumerate(value, start=1):
        _refuse(part, _simple_chars(d), tag, n, i)
    return d.component.join(value).rstrip(d.component)


def write_segment(segment: Segment | OutSegment, delimiters: Delimiters) -> str:
    """One segment with its terminator.

    An `OutSegment` loses its trailing empty elements. A `Segment` (as read) is written element for
    element: it holds raw text whose components and repetitions are already joined with these
    delimiters, so only the element separator and the terminator are refused in it.
    """
    d = delimiters
    if isinstance(segment, Segment):
        raw = d.element + d.segment
        for n, value in enumerate(segment.elements, start=1):
            _refuse(value, raw, segment.tag, n)
        values = list(segment.elements)
    else:
        values = [_element(v, d, segment.tag, n) for n, v in enumerate(segment.elements, start=1)]
        while values and not values[-1]:
            values.pop()
    _refuse(segment.tag, _simple_chars(d), segment.tag, 0)
    return d.element.join([segment.tag, *values]) + d.segment


def write_set(item: SetToWrite, delimiters: Delimiters) -> tuple[str, int]:
    """The set's text from ST to SE, and its segment count (SE01)."""
    st: list[ElementValue] = [item.set_id, item.control_number]
    if item.implementation_reference:
        st.append(item.implementation_reference)
    parts = [write_segment(OutSegment("ST", tuple(st)), delimiters)]
    parts.extend(write_segment(s, delimiters) for s in item.body)
    count = len(parts) + 1
    parts.append(write_segment(OutSegment("SE", (str(count), item.control_number)), delimiters))
    return "".join(parts), count


def _fixed(value: str, width: int, name: str) -> str:
    if len(value) > width:
        raise UnwritableValueError(f"{name} {value!r} is longer than {width}", Location(segment_tag="ISA"))
    return value.ljust(width)


def isa_segment(envelope: WriterEnvelope, *, interchange_control: int, prepared_at: datetime) -> str:
    """The fixed-width ISA, its terminator included."""
    d = envelope.delimiters
    if not 0 <= interchange_control <= 999_999_999:
        raise UnwritableValueError("ISA13 must fit in 9 digits", Location(segment_tag="ISA", element=13))
    repeat = envelope.version >= "00402"
    if repeat and d.repetition is None:
        raise UnwritableValueError(
            "version 00402 and later need a repetition separator", Location(segment_tag="ISA")
        )
    fields = [
        "00",
        " " * 10,
        "00",
        " " * 10,
        _fixed(envelope.sender_qualifier, 2, "ISA05"),
        _fixed(envelope.sender_id, 15, "ISA06"),
        _fixed(envelope.receiver_qualifier, 2, "ISA07"),
        _fixed(envelope.receiver_id, 15, "ISA08"),
        prepared_at.strftime("%y%m%d"),
        prepared_at.strftime("%H%M"),
        (d.repetition or "U") if repeat else "U",
        _fixed(envelope.version, 5, "ISA12"),
        f"{interchange_control:09d}",
        _fixed(envelope.ack_requested, 1, "ISA14"),
        _fixed(envelope.usage, 1, "ISA15"),
    ]
    return _isa_text(fields, d)


def _isa_text(fields: Sequence[str], d: Delimiters) -> str:
    for n, value in enumerate(fields, start=1):
        _refuse(value, d.element + d.segment + d.component, "ISA", n)
    return "ISA" + d.element + d.element.join(fields) + d.element + d.component + d.segment


def write_isa(header: InterchangeHeader) -> str:
    """An ISA from a header as read (fixed width: ISA02/ISA04 padded to 10, ISA06/ISA08 to 15)."""
    h = header
    fields = [
        h.authorization_qualifier,
        _fixed(h.authorization, 10, "ISA02"),
        h.security_qualifier,
        _fixed(h.security, 10, "ISA04"),
        h.sender_qualifier,
        _fixed(h.sender_id, 15, "ISA06"),
        h.receiver_qualifier,
        _fixed(h.receiver_id, 15, "ISA08"),
        h.date,
        h.time,
        h.standards_id,
        h.version,
        h.control_number,
        h.ack_requested,
        h.usage,
    ]
    return _isa_text(fields, h.delimiters)


def write_interchange(
    envelope: WriterEnvelope,
    *,
    interchange_control: int,
    groups: Sequence[GroupToWrite],
    prepared_at: datetime,
    leading: Sequence[Segment | OutSegment] = (),
    line_break: str = "",
) -> str:
    """A whole interchange: ISA, `leading` segments (a TA1 sits there), the groups, IEA.

    `line_break` (e.g. "\\n") is written after every terminator, for people reading the file; leave it
    empty when the partner's terminator is itself a line break.
    """
    d = envelope.delimiters
    out = [isa_segment(envelope, interchange_control=interchange_control, prepared_at=prepared_at)]
    out.extend(write_segment(s, d) for s in leading)
    for group in groups:
        gs = (
            group.functional_id,
            envelope.application_sender or envelope.sender_id,
            envelope.application_receiver or envelope.receiver_id,
            prepared_at.strftime("%Y%m%d"),
            prepared_at.strftime("%H%M"),
            str(group.control_number),
            "X",
            envelope.gs_version,
        )
        out.append(write_segment(OutSegment("GS", gs), d))
        for item in group.sets:
            out.append(write_set(item, d)[0])
        out.append(write_segment(OutSegment("GE", (str(len(group.sets)), str(group.control_number))), d))
    out.append(write_segment(OutSegment("IEA", (str(len(groups)), f"{interchange_control:09d}")), d))
    text = "".join(out)
    if line_break:
        text = text.replace(d.segment, d.segment + line_break)
    return text
