"""Translation without a database: bytes in, canonical events and issues out.

detect the format → read the envelopes → identify the partner from the envelope → resolve the map
(partner override or default) → apply it. Yields the reader's envelope items too, so callers can
build the acknowledgements from the same pass. Pure apart from reading the stream it is given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import BinaryIO, Final, NamedTuple

from gateway.errors import NoMapError, UnknownFormatError
from gateway.formats import detect
from gateway.formats.issues import Issue, Location, Severity
from gateway.formats.x12 import model as x12
from gateway.formats.x12 import reader as x12_reader
from gateway.kit import ids
from gateway.mapping import Event as MappedEvent
from gateway.mapping import MapRegistry, apply_x12, map_context
from gateway.mapping.apply import apply_x12_json
from gateway.mapping.registry import CompiledMap
from gateway.partners.model import PartnerConfig
from gateway.partners.registry import PartnerRegistry

HEAD_BYTES = 512


@dataclass(slots=True, init=False)
class DocumentOutcome:
    """One business document (an X12 set, an EDIFACT message, a cXML request, a JSON event) as read
    and mapped, in any format. Treated as immutable: `dataclasses.replace` makes a changed copy."""

    document_id: ids.DocumentId
    format: str  # "x12", "edifact", "cxml", "json"
    doc_type: str  # "855", "ORDRSP", "ConfirmationRequest", "portal.shipment", ...
    control_number: str  # ST02, UNH 0062, payloadID, webhook-id
    version: str | None  # GS08, UNH S009 0052+0054, cXML version
    group_control: str | None  # GS06, UNG 0048
    is_test: bool  # ISA15 = T, UNB 0035 = 1, deploymentMode="test"
    events: tuple[MappedEvent, ...]
    issues: tuple[Issue, ...]  # the reader's and the map's
    skipped: str | None  # why no map applied (a document type the gateway does not read)
    json_lines: str | None  # with `TranslateContext.as_json`: the events as JSON lines instead

    def __init__(
        self,
        document_id: ids.DocumentId,
        format: str,
        doc_type: str,
        control_number: str,
        version: str | None = None,
        group_control: str | None = None,
        is_test: bool = False,
        events: tuple[MappedEvent, ...] = (),
        issues: tuple[Issue, ...] = (),
        skipped: str | None = None,
        json_lines: str | None = None,
    ) -> None:
        # Written out (not generated, and not frozen): one is made per document, and a compiled
        # build runs a generated or frozen __init__ as Python (17,000 instructions per X12 set).
        self.document_id = document_id
        self.format = format
        self.doc_type = doc_type
        self.control_number = control_number
        self.version = version
        self.group_control = group_control
        self.is_test = is_test
        self.events = events
        self.issues = issues
        self.skipped = skipped
        self.json_lines = json_lines

    @property
    def rejected(self) -> bool:
        return any(i.severity is Severity.ERROR for i in self.issues)


@dataclass(frozen=True, slots=True)
class EnvelopeNote:
    """Issues found at an envelope level (interchange, group) rather than in one document."""

    issues: tuple[Issue, ...]


Translated = DocumentOutcome | EnvelopeNote


@dataclass(frozen=True, slots=True)
class TranslateContext:
    """What a format's translator needs besides the bytes."""

    content_sha256: str
    maps: MapRegistry
    partners: PartnerRegistry | None = None
    partner_id: str | None = None  # forced: the envelope is not asked
    file_name: str | None = None
    # The events as JSON lines (`json_lines`, exactly their `model_dump_json()`), not as models, where
    # a translator can write them without building the models (X12 commitments and shipments).
    as_json: bool = False


Translator = Callable[[BinaryIO, TranslateContext], Iterator[Translated]]


@dataclass(frozen=True, slots=True)
class SetOutcome:
    """One transaction set and what became of it."""

    ts: x12.TransactionSet
    document_id: ids.DocumentId
    partner: PartnerConfig | None
    partner_id: str
    events: tuple[MappedEvent, ...] = ()
    issues: tuple[Issue, ...] = ()  # the reader's and the map's
    skipped: str | None = None  # why no map applied (a set type we do not read)
    map_issues: tuple[Issue, ...] = field(default=(), repr=False)  # the map's alone, for the ack
    json_lines: str | None = None  # with `as_json`: the events as JSON lines instead of `events`

    @property
    def rejected(self) -> bool:
        return any(i.severity is Severity.ERROR for i in self.issues)

    def outcome(self) -> DocumentOutcome:
        """The format-neutral view of this set."""
        ts = self.ts
        return DocumentOutcome(
            document_id=self.document_id,
            format="x12",
            doc_type=ts.set_id,
            control_number=ts.control_number,
            version=ts.version,
            group_control=ts.group.control_number if ts.group else None,
            is_test=ts.interchange.is_test,
            events=self.events,
            issues=self.issues,
            skipped=self.skipped,
            json_lines=self.json_lines,
        )


def sniff(source: BinaryIO) -> detect.Format:
    """The format of a seekable stream, read from its first bytes; the stream is rewound."""
    head = source.read(HEAD_BYTES)
    source.seek(0)
    return detect.detect(head)


def partner_for(
    header: x12.InterchangeHeader,
    group: x12.GroupHeader | None,
    partners: PartnerRegistry | None,
    forced: str | None,
) -> tuple[PartnerConfig | None, str]:
    """The partner config and id for an interchange: the forced one, the one the envelope names, or
    none (then the id is the envelope's own `qualifier:id`, and default maps apply)."""
    if forced is not None:
        if partners is not None and forced in partners:
            return partners.get(forced), forced
        return None, forced
    if partners is not None:
        config = partners.identify_x12(
            header.sender_qualifier, header.sender_id, group.application_sender if group else None
        )
        if config is not None:
            return config, config.id
    return None, f"{header.sender_qualifier}:{header.sender_id}"


class PendingSet(NamedTuple):
    """A transaction set read and checked, with the partner it is mapped for (not mapped yet)."""

    ts: x12.TransactionSet
    partner: PartnerConfig | None
    partner_id: str


_new: Final = tuple.__new__
_PENDING_SET: Final = PendingSet


def read_x12(
    source: bytes | BinaryIO,
    *,
    partners: PartnerRegistry | None = None,
    partner_id: str | None = None,
    file_name: str | None = None,
) -> Iterator[x12.X12Item | PendingSet]:
    """Every envelope item of the file, and a `PendingSet` in place of each transaction set: the
    reading half of `translate_x12`, for callers that map the sets elsewhere (in other processes).

    Raises FormatError (from the reader) when the bytes cannot be framed as X12.
    """
    group: x12.GroupHeader | None = None
    resolved: tuple[PartnerConfig | None, str] | None = None
    for item in x12_reader.read(source, file_name=file_name):
        if isinstance(item, x12.TransactionSet):
            if resolved is None:
                resolved = partner_for(item.interchange, group, partners, partner_id)
            # tuple.__new__: calling the NamedTuple class runs its Python-level __new__
            yield _new(_PENDING_SET, (item, resolved[0], resolved[1]))
            continue
        if isinstance(item, x12.InterchangeOpened):
            group, resolved = None, None
        elif isinstance(item, x12.GroupOpened):
            group = item.header
            resolved = None
        yield item


def translate_x12(
    source: bytes | BinaryIO,
    *,
    content_sha256: str,
    maps: MapRegistry,
    partners: PartnerRegistry | None = None,
    partner_id: str | None = None,
    file_name: str | None = None,
    as_json: bool = False,
) -> Iterator[x12.X12Item | SetOutcome]:
    """Every envelope item of the file, and a `SetOutcome` in place of each transaction set (with
    `as_json`, events as JSON lines: see `map_set`).

    Raises FormatError (from the reader) when the bytes cannot be framed as X12.
    """
    for item in read_x12(source, partners=partners, partner_id=partner_id, file_name=file_name):
        if isinstance(item, PendingSet):
            ts, config, pid = item
            yield map_set(
                ts, config, pid, maps, content_sha256=content_sha256, file_name=file_name, as_json=as_json
            )
        else:
            yield item


def map_set(
    ts: x12.TransactionSet,
    config: PartnerConfig | None,
    partner_id: str,
    maps: MapRegistry,
    *,
    content_sha256: str,
    file_name: str | None,
    as_json: bool = False,
) -> SetOutcome:
    """Apply the partner's (or the default) map to one set; with `as_json`, give the events as JSON
    lines (`json_lines`, exactly their `model_dump_json()`) and no models."""
    doc_id = ids.document_id(content_sha256, ts.ordinal)
    try:
        compiled = maps.resolve("x12", ts.set_id, ts.version, config.maps if config else {})
    except NoMapError as exc:
        return SetOutcome(
            ts=ts,
            document_id=doc_id,
            partner=config,
            partner_id=partner_id,
            issues=ts.issues,
            skipped=exc.detail,
        )
    if any(i.severity is Severity.ERROR for i in ts.issues):
        # The envelope already rejects this set: its content is not trusted enough to map.
        return SetOutcome(ts=ts, document_id=doc_id, partner=config, partner_id=partner_id, issues=ts.issues)
    ctx = map_context(partner_id, doc_id, file_name)
    if as_json:
        written = apply_x12_json(compiled, ts, ctx)
        return SetOutcome(
            ts=ts,
            document_id=doc_id,
            partner=config,
            partner_id=partner_id,
            issues=ts.issues + written.issues,
            map_issues=written.issues,
            json_lines=written.lines,
        )
    result = apply_x12(compiled, ts, ctx)
    return SetOutcome(
        ts=ts,
        document_id=doc_id,
        partner=config,
        partner_id=partner_id,
        events=result.events,
        issues=ts.issues + result.issues,
        map_issues=result.issues,
    )


# The last map `map_set_json` resolved: for the registry, the partner config, the set type and release.
_last_map: tuple[MapRegistry, PartnerConfig | None, tuple[str, str], CompiledMap] | None = None

# What `map_set_json` gives: the events' JSON lines (None when no map applied), the set's issues
# (the reader's and the map's) and why no map applied (None when one did).
SetJson = tuple[str | None, tuple[Issue, ...], str | None]


def map_set_json(
    ts: x12.TransactionSet,
    config: PartnerConfig | None,
    partner_id: str,
    maps: MapRegistry,
    *,
    document_id: str,
    file_name: str | None,
) -> SetJson:
    """`map_set(..., as_json=True)` without the outcome objects, for callers that only write the
    set's JSON lines and issues (`gateway translate`): the same lines, issues and skip reason.
    `document_id` is the set's (`ids.document_id` of the content's SHA-256 and `ts.ordinal`)."""
    global _last_map
    last = _last_map
    try:
        if last is not None and last[0] is maps and last[1] is config and last[2] == (ts.set_id, ts.version):
            compiled = last[3]  # the sets of a group resolve to the same map
        else:
            compiled = maps.resolve("x12", ts.set_id, ts.version, config.maps if config else {})
            _last_map = (maps, config, (ts.set_id, ts.version), compiled)
    except NoMapError as exc:
        return None, ts.issues, exc.detail
    if any(i.severity is Severity.ERROR for i in ts.issues):
        return None, ts.issues, None  # as `map_set`: the envelope already rejects this set
    ctx = map_context(partner_id, document_id, file_name)
    written = apply_x12_json(compiled, ts, ctx)
    return written.lines, ts.issues + written.issues, None


def x12_documents(source: BinaryIO, ctx: TranslateContext) -> Iterator[Translated]:
    """X12 as format-neutral items: a `DocumentOutcome` per set, an `EnvelopeNote` per group or
    interchange trailer that carries issues."""
    if ctx.as_json:
        yield from _x12_json_documents(source, ctx)
        return
    for item in translate_x12(
        source,
        content_sha256=ctx.content_sha256,
        maps=ctx.maps,
        partners=ctx.partners,
        partner_id=ctx.partner_id,
        file_name=ctx.file_name,
    ):
        if isinstance(item, SetOutcome):
            yield item.outcome()
        elif isinstance(item, x12.GroupClosed | x12.InterchangeClosed) and item.issues:
            yield EnvelopeNote(item.issues)


def _x12_json_documents(source: BinaryIO, ctx: TranslateContext) -> Iterator[Translated]:
    """`x12_documents` with `as_json`: each set's outcome made from `map_set_json` directly (no
    `SetOutcome` in between), the same outcome `SetOutcome.outcome()` gives."""
    sha, maps, name = ctx.content_sha256, ctx.maps, ctx.file_name
    for item in read_x12(source, partners=ctx.partners, partner_id=ctx.partner_id, file_name=name):
        if isinstance(item, PendingSet):
            ts, config, pid = item
            doc_id = ids.document_id(sha, ts.ordinal)
            lines, issues, skipped = map_set_json(ts, config, pid, maps, document_id=doc_id, file_name=name)
            yield DocumentOutcome(
                document_id=doc_id,
                format="x12",
                doc_type=ts.set_id,
                control_number=ts.control_number,
                version=ts.version,
                group_control=ts.group.control_number if ts.group else None,
                is_test=ts.interchange.is_test,
                issues=issues,
                skipped=skipped,
                json_lines=lines,
            )
        elif isinstance(item, x12.GroupClosed | x12.InterchangeClosed) and item.issues:
            yield EnvelopeNote(item.issues)


def cxml_documents(source: BinaryIO, ctx: TranslateContext) -> Iterator[Translated]:
    """cXML (see `tree_translate.py`, which builds on this module's types)."""
    from gateway.pipeline import tree_translate

    return tree_translate.cxml_documents(source, ctx)


def edifact_documents(source: BinaryIO, ctx: TranslateContext) -> Iterator[Translated]:
    """UN/EDIFACT (see `edifact_translate.py`, which builds on this module's types)."""
    from gateway.pipeline import edifact_translate

    return edifact_translate.edifact_documents(source, ctx)


def json_documents(source: BinaryIO, ctx: TranslateContext) -> Iterator[Translated]:
    """JSON payloads, read with the forced partner's map (see `tree_translate.py`)."""
    from gateway.pipeline import tree_translate

    return tree_translate.json_documents(source, ctx)


# One translator per format the gateway reads (the CLI's `translate` and `partners test` use these).
TRANSLATORS: Mapping[detect.Format, Translator] = {
    detect.Format.X12: x12_documents,
    detect.Format.EDIFACT: edifact_documents,
    detect.Format.CXML: cxml_documents,
    detect.Format.JSON: json_documents,
}


def documents(source: BinaryIO, ctx: TranslateContext) -> Iterator[Translated]:
    """Detect the format of a seekable stream and translate it; `UnknownFormatError` when no
    translator reads it, `FormatError` when its bytes cannot be framed."""
    fmt = sniff(source)
    translator = TRANSLATORS.get(fmt)
    if translator is None:
        raise unsupported(fmt, ctx.file_name)
    return translator(source, ctx)


def unsupported(fmt: detect.Format, file_name: str | None) -> UnknownFormatError:
    """The error for a file whose format no codec reads (yet)."""
    where = Location(file=file_name, offset=0)
    if fmt is detect.Format.UNKNOWN:
        return UnknownFormatError("the bytes look like no format the gateway reads", where)
    return UnknownFormatError(f"{fmt} documents are not read by this gateway version", where)
