"""Translation of UN/EDIFACT without a database: bytes in, the reader's envelope items and one
`MessageOutcome` per message out.

read (streaming, `formats/edifact/reader.py`) → partner from UNB S002 (or forced) → the message's map
for its type and directory (with the partner's `edifact/<MESSAGE>` override) → events. A message type
without a map (INVOIC, an inbound ORDERS) is skipped with the reason; a message the envelope rejects
is not mapped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, NamedTuple

from gateway.errors import NoMapError
from gateway.formats.edifact import model as edifact
from gateway.formats.edifact import reader as edifact_reader
from gateway.formats.issues import Issue, Severity
from gateway.kit import ids
from gateway.mapping import Event as MappedEvent
from gateway.mapping import MapContext, MapRegistry
from gateway.mapping.edifact_maps import apply_edifact, apply_edifact_json
from gateway.partners.model import PartnerConfig
from gateway.partners.registry import PartnerRegistry
from gateway.pipeline.translate import DocumentOutcome, EnvelopeNote, TranslateContext, Translated

UNKNOWN_SENDER = "edifact:unknown"


@dataclass(frozen=True, slots=True)
class MessageOutcome:
    """One message and what became of it."""

    message: edifact.Message
    document_id: ids.DocumentId
    partner: PartnerConfig | None
    partner_id: str
    events: tuple[MappedEvent, ...] = ()
    issues: tuple[Issue, ...] = ()  # the reader's and the map's
    skipped: str | None = None
    map_issues: tuple[Issue, ...] = ()  # the map's alone, for the CONTRL
    json_lines: str | None = None  # with `as_json`: the events as JSON lines instead of `events`

    def outcome(self) -> DocumentOutcome:
        m = self.message
        return DocumentOutcome(
            document_id=self.document_id,
            format="edifact",
            doc_type=m.id.type,
            control_number=m.reference,
            version=m.id.directory,
            group_control=m.group.reference if m.group else None,
            is_test=m.is_test,
            events=self.events,
            issues=self.issues,
            skipped=self.skipped,
            json_lines=self.json_lines,
        )


def partner_for(
    header: edifact.InterchangeHeader | None, partners: PartnerRegistry | None, forced: str | None
) -> tuple[PartnerConfig | None, str]:
    """The forced partner, the one UNB S002 names, or none (then the id is `qualifier:id` from UNB)."""
    if forced is not None:
        if partners is not None and forced in partners:
            return partners.get(forced), forced
        return None, forced
    if header is None:
        return None, UNKNOWN_SENDER
    if partners is not None:
        config = partners.identify_edifact(header.sender_id, header.sender_qualifier or None)
        if config is not None:
            return config, config.id
    return (
        None,
        f"{header.sender_qualifier}:{header.sender_id}" if header.sender_qualifier else header.sender_id,
    )


class PendingMessage(NamedTuple):
    """A message read and checked, with the partner it is mapped for (not mapped yet)."""

    message: edifact.Message
    partner: PartnerConfig | None
    partner_id: str


def read_edifact(
    source: bytes | BinaryIO,
    *,
    partners: PartnerRegistry | None = None,
    partner_id: str | None = None,
    file_name: str | None = None,
) -> Iterator[edifact.EdifactItem | PendingMessage]:
    """Every envelope item of the file, and a `PendingMessage` in place of each message: the reading
    half of `translate_edifact`, for callers that map the messages elsewhere (in other processes).

    Raises FormatError (from the reader) when the bytes cannot be framed as EDIFACT."""
    resolved: tuple[PartnerConfig | None, str] | None = None
    for item in edifact_reader.read(source, file_name=file_name):
        if isinstance(item, edifact.Message):
            if resolved is None:
                resolved = partner_for(item.interchange, partners, partner_id)
            yield PendingMessage(item, resolved[0], resolved[1])
            continue
        if isinstance(item, edifact.InterchangeOpened):
            resolved = None
        yield item


def translate_edifact(
    source: bytes | BinaryIO,
    *,
    content_sha256: str,
    maps: MapRegistry,
    partners: PartnerRegistry | None = None,
    partner_id: str | None = None,
    file_name: str | None = None,
    as_json: bool = False,
) -> Iterator[edifact.EdifactItem | MessageOutcome]:
    """Every envelope item of the file, and a `MessageOutcome` in place of each message.

    Raises FormatError (from the reader) when the bytes cannot be framed as EDIFACT."""
    for item in read_edifact(source, partners=partners, partner_id=partner_id, file_name=file_name):
        if isinstance(item, PendingMessage):
            yield map_message(
                item.message,
                item.partner,
                item.partner_id,
                maps,
                content_sha256=content_sha256,
                file_name=file_name,
                as_json=as_json,
            )
        else:
            yield item


def map_message(
    message: edifact.Message,
    config: PartnerConfig | None,
    partner_id: str,
    maps: MapRegistry,
    *,
    content_sha256: str,
    file_name: str | None,
    as_json: bool = False,
) -> MessageOutcome:
    """Apply the partner's (or the default) map to one message; with `as_json`, give the events as
    JSON lines (`json_lines`, exactly their `model_dump_json()`) and no models."""
    doc_id = ids.document_id(content_sha256, message.ordinal)
    base = MessageOutcome(message, doc_id, config, partner_id, issues=message.issues)
    try:
        compiled = maps.trees.edifact.resolve(
            message.id.type, message.id.directory, config.maps if config else {}
        )
    except NoMapError as exc:
        return MessageOutcome(message, doc_id, config, partner_id, issues=message.issues, skipped=exc.detail)
    if any(i.severity is Severity.ERROR for i in message.issues):
        return base  # the envelope rejects the message: its content is not mapped
    ctx = MapContext(partner_id=partner_id, document_id=doc_id, file=file_name)
    if as_json:
        written = apply_edifact_json(compiled, message, ctx)
        return MessageOutcome(
            message,
            doc_id,
            config,
            partner_id,
            issues=message.issues + written.issues,
            map_issues=written.issues,
            json_lines=written.lines,
        )
    result = apply_edifact(compiled, message, ctx)
    return MessageOutcome(
        message,
        doc_id,
        config,
        partner_id,
        events=result.events,
        issues=message.issues + result.issues,
        map_issues=result.issues,
    )


# Messages on their way to another process (`gateway translate`'s workers), which share their
# interchange, group and service characters: the envelope's frozen headers as their fields (frozen
# dataclasses of the compiled build do not unpickle), and per message its checks, UNH 0062 and S009,
# its places, and its segments as one text (each segment's elements joined by the element separator,
# the segments by the terminator, release characters in place: the reader cuts it again as it cut
# the file) with the segments' offsets. One string per message pickles far faster than its segments.
Fields = dict[str, object]
WireMessage = tuple[tuple[Issue, ...], str, tuple[str, str, str, str, str], int, int, str, list[int]]
Wire = tuple[Fields | None, Fields | None, Fields, list[WireMessage]]


def fields_of(obj: object) -> Fields:
    """A frozen dataclass of the EDIFACT model as its fields (nested ones as theirs)."""
    out: Fields = {}
    for f in dataclasses.fields(obj):  # type: ignore[arg-type]
        value = getattr(obj, f.name)
        out[f.name] = fields_of(value) if dataclasses.is_dataclass(value) else value
    return out


def wire_messages(messages: list[edifact.Message]) -> Wire:
    """Messages of one interchange and group (and service characters) as they travel."""
    first = messages[0]
    el, term = first.chars.element, first.chars.segment
    wires: list[WireMessage] = []
    for m in messages:
        text = term.join([el.join((seg[0], *seg[1])) for seg in m.segments])
        ident = m.id
        s009 = (ident.type, ident.version, ident.release, ident.agency, ident.association)
        wires.append((m.issues, m.reference, s009, m.index, m.ordinal, text, [seg[3] for seg in m.segments]))
    return (
        fields_of(first.interchange) if first.interchange is not None else None,
        fields_of(first.group) if first.group is not None else None,
        fields_of(first.chars),
        wires,
    )


def unwire_messages(wire: Wire) -> list[edifact.Message]:
    """The messages `wire_messages` sent, as the reader made them."""
    ic, grp, chars_fields, wires = wire
    chars = _chars(chars_fields)
    interchange = None
    if ic is not None:
        values = dict(ic)
        raw_chars = values.pop("chars")
        assert isinstance(raw_chars, dict)
        interchange = edifact.InterchangeHeader(chars=_chars(raw_chars), **values)  # type: ignore[arg-type]
    group = edifact.GroupHeader(**grp) if grp is not None else None  # type: ignore[arg-type]
    el, rel = chars.element, chars.release
    out: list[edifact.Message] = []
    for issues, reference, s009, index, ordinal, text, offsets in wires:
        segments: list[edifact.Segment] = []
        texts = edifact_reader.cut_segments(text, chars)
        assert len(texts) == len(offsets)
        for position, piece in enumerate(texts):
            els = piece.split(el) if rel not in piece else edifact.split_released(piece, el, rel)
            segments.append(_new(edifact.Segment, (els[0], tuple(els[1:]), position + 1, offsets[position])))
        out.append(
            edifact.Message(
                interchange,
                group,
                reference,
                edifact.MessageId(s009[0], s009[1], s009[2], s009[3], s009[4]),
                tuple(segments),
                chars,
                issues,
                index,
                ordinal,
            )
        )
    return out


def _chars(values: Fields) -> edifact.ServiceChars:
    return edifact.ServiceChars(**values)  # type: ignore[arg-type]


_new = tuple.__new__


def edifact_documents(source: BinaryIO, ctx: TranslateContext) -> Iterator[Translated]:
    """EDIFACT as format-neutral items: a `DocumentOutcome` per message, an `EnvelopeNote` per group
    or interchange trailer that carries issues."""
    for item in translate_edifact(
        source,
        content_sha256=ctx.content_sha256,
        maps=ctx.maps,
        partners=ctx.partners,
        partner_id=ctx.partner_id,
        file_name=ctx.file_name,
        as_json=ctx.as_json,
    ):
        if isinstance(item, MessageOutcome):
            yield item.outcome()
        elif isinstance(item, edifact.GroupClosed | edifact.InterchangeClosed) and item.issues:
            yield EnvelopeNote(item.issues)
