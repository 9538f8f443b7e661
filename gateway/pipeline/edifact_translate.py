"""Translation of UN/EDIFACT without a database: bytes in, the reader's envelope items and one
`MessageOutcome` per message out.

read (streaming, `formats/edifact/reader.py`) → partner from UNB S002 (or forced) → the message's map
for its type and directory (with the partner's `edifact/<MESSAGE>` override) → events. A message type
without a map (INVOIC, an inbound ORDERS) is skipped with the reason; a message the envelope rejects
is not mapped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import BinaryIO, Final, NamedTuple

from gateway.errors import NoMapError
from gateway.formats.edifact import model as edifact
from gateway.formats.edifact import reader as edifact_reader
from gateway.formats.issues import Issue, Severity
from gateway.kit import ids
from gateway.mapping import Event as MappedEvent
from gateway.mapping import MapRegistry, map_context
from gateway.mapping.edifact_maps import apply_edifact, apply_edifact_json
from gateway.partners.model import PartnerConfig
from gateway.partners.registry import PartnerRegistry
from gateway.pipeline.translate import DocumentOutcome, EnvelopeNote, TranslateContext, Translated

UNKNOWN_SENDER = "edifact:unknown"


class MessageOutcome(NamedTuple):
    """One message and what became of it (a NamedTuple: one is made per message, and a frozen
    dataclass runs an interpreted __init__ even in a compiled build)."""

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


_new: Final = tuple.__new__
_PENDING_MESSAGE: Final = PendingMessage
_MESSAGE_OUTCOME: Final = MessageOutcome


def read_edifact(
    source: bytes | BinaryIO,
    *,
    partners: PartnerRegistry | None = None,
    partner_id: str | None = None,
    file_name: str | None = None,
    skip: Callable[[], bool] | None = None,
    chunk_size: int = edifact_reader.CHUNK_SIZE,
) -> Iterator[edifact.EdifactItem | PendingMessage]:
    """Every envelope item of the file, and a `PendingMessage` in place of each message: the reading
    half of `translate_edifact`, for callers that map the messages elsewhere (in other processes).

    `skip`: see `reader.read` (a message it skips comes framed only, not to be mapped).
    Raises FormatError (from the reader) when the bytes cannot be framed as EDIFACT."""
    resolved: tuple[PartnerConfig | None, str] | None = None
    for item in edifact_reader.read(source, file_name=file_name, skip=skip, chunk_size=chunk_size):
        if isinstance(item, edifact.Message):
            if resolved is None:
                resolved = partner_for(item.interchange, partners, partner_id)
            # tuple.__new__: calling the NamedTuple class runs its Python-level __new__
            yield _new(_PENDING_MESSAGE, (item, resolved[0], resolved[1]))
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
    try:
        compiled = maps.trees.edifact.resolve(
            message.id.type, message.id.directory, config.maps if config else {}
        )
    except NoMapError as exc:
        return MessageOutcome(message, doc_id, config, partner_id, issues=message.issues, skipped=exc.detail)
    if any(i.severity is Severity.ERROR for i in message.issues):
        # the envelope rejects the message: its content is not mapped
        return MessageOutcome(message, doc_id, config, partner_id, issues=message.issues)
    ctx = map_context(partner_id, doc_id, file_name)
    if as_json:
        written = apply_edifact_json(compiled, message, ctx)
        # tuple.__new__ with every field in order (the NamedTuple's own __new__ runs as Python)
        return _new(
            _MESSAGE_OUTCOME,
            (
                message,
                doc_id,
                config,
                partner_id,
                (),
                message.issues + written.issues,
                None,
                written.issues,
                written.lines,
            ),
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
