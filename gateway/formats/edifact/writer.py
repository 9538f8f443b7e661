"""EDIFACT writer: interchanges (UNA, UNB..UNZ, UNH..UNT) serialised with pydifact's `Serializer`.

Segments are written from `WSegment`s: a tag and its elements, each a text (a simple element) or a
list of texts (a composite's components). pydifact releases the separators, the terminator and the
release character in values; from syntax version 4 the repetition separator is released too (pydifact
does not know it, see `_Chars`). Trailing empty components and elements are dropped. The writer fills
UNT 0074 and UNZ 0036 itself, so the counts always match what it wrote.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pydifact.control.characters import Characters
from pydifact.segments import Segment as PydifactSegment
from pydifact.serializer import Serializer

from gateway.formats.edifact.model import DEFAULT_CHARS, ServiceChars

Element = str | Sequence[str]


@dataclass(frozen=True, slots=True)
class WSegment:
    """A segment to write."""

    tag: str
    elements: tuple[Element, ...] = ()


@dataclass(frozen=True, slots=True)
class MessageToWrite:
    """One message: UNH S009 and the segments between UNH and UNT."""

    reference: str  # UNH 0062
    type: str  # 0065
    version: str  # 0052, "D"
    release: str  # 0054, "96A"
    agency: str = "UN"
    association: str = ""  # 0057, e.g. "EAN008"
    body: tuple[WSegment, ...] = ()


@dataclass(frozen=True, slots=True)
class WriterEnvelope:
    """Everything the writer needs for the UNB, per partner."""

    sender_id: str
    recipient_id: str
    sender_qualifier: str = ""
    recipient_qualifier: str = ""
    syntax: str = "UNOC"
    syntax_version: int = 3
    chars: ServiceChars = field(default=DEFAULT_CHARS)
    write_una: bool = True
    ack_request: bool = False
    test: bool = False
    application_reference: str = ""


class _Chars(Characters):
    """pydifact's characters, releasing the repetition separator too where the syntax uses one."""

    def __init__(self, chars: ServiceChars, repetition: bool) -> None:
        super().__init__(  # type: ignore[no-untyped-call]
            component_separator=chars.component,
            data_separator=chars.element,
            decimal_point=chars.decimal,
            escape_character=chars.release,
            reserved=chars.repetition if repetition else " ",  # UNA5 is reserved before syntax 4
            segment_terminator=chars.segment,
        )
        self._repetition = repetition

    @property
    def escaped_syntax_dic(self) -> dict[str, str]:
        out: dict[str, str] = dict(super().escaped_syntax_dic)
        if self._repetition and self.reserved_character.strip():
            out[self.reserved_character] = self.escape_character + self.reserved_character
        return out


def _trim(values: list[str]) -> list[str]:
    while values and values[-1] == "":
        values.pop()
    return values


def _pydifact(seg: WSegment) -> PydifactSegment:
    elements: list[str | list[str]] = []
    for el in seg.elements:
        if isinstance(el, str):
            elements.append(el)
        else:
            parts = _trim(list(el))
            elements.append(parts if len(parts) > 1 else (parts[0] if parts else ""))
    while elements and elements[-1] in ("", []):
        elements.pop()
    return PydifactSegment(seg.tag, *elements)


def write_interchange(
    env: WriterEnvelope,
    *,
    control_reference: str,
    messages: Sequence[MessageToWrite],
    prepared_at: datetime,
    line_break: str = "",
) -> str:
    """One interchange with the messages in order (no groups)."""
    date = prepared_at.strftime("%Y%m%d" if env.syntax_version >= 4 else "%y%m%d")
    unb_elements: list[Element] = [
        [env.syntax, str(env.syntax_version)],
        [env.sender_id, env.sender_qualifier],
        [env.recipient_id, env.recipient_qualifier],
        [date, prepared_at.strftime("%H%M")],
        control_reference,
        "",
        env.application_reference,
        "",
        "1" if env.ack_request else "",
        "",
        "1" if env.test else "",
    ]
    segments = [WSegment("UNB", tuple(unb_elements))]
    for m in messages:
        s009 = [m.type, m.version, m.release, m.agency, m.association]
        segments.append(WSegment("UNH", (m.reference, s009)))
        segments.extend(m.body)
        segments.append(WSegment("UNT", (str(len(m.body) + 2), m.reference)))
    segments.append(WSegment("UNZ", (str(len(messages)), control_reference)))
    chars = _Chars(env.chars, repetition=env.syntax_version >= 4)
    text: str = Serializer(chars).serialize(
        [_pydifact(s) for s in segments], with_una_header=env.write_una, break_lines=False
    )
    if line_break:
        term = env.chars.segment
        text = text.replace(term, term + line_break) if term != line_break else text
        text = _unbreak_released(text, env.chars, line_break)
    return text


def _unbreak_released(text: str, chars: ServiceChars, line_break: str) -> str:
    """Undo line breaks put after a released terminator (`?'` inside a value is not a segment end)."""
    released = chars.release + chars.segment + line_break
    return text.replace(released, chars.release + chars.segment) if released in text else text
