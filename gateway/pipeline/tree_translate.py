"""Translation of tree documents without a database: cXML requests and JSON payloads (portal
webhooks, partner API pages), bytes in, `DocumentOutcome`s out.

cXML: hardened parse → envelope → partner from the From (then Sender) credentials (or forced) →
the request's map for its version family (with the partner's `cxml/<Request>` override) → events.
A Response, a Message, or a request type without a map is a skipped document that says why.

JSON: the partner's map (its portal's, else its REST channel's) → the kind named (a polled
resource) or the one whose `when` holds → one document per node the kind's `each` selects.

Authentication (the cXML SharedSecret, a webhook signature) is the channel's business, not this
module's: `gateway translate` reads files a person trusts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import BinaryIO

from gateway.errors import MappingError, NoMapError
from gateway.formats.cxml import model as cxml
from gateway.formats.cxml import parser as cxml_parser
from gateway.formats.issues import Issue, Location
from gateway.formats.tree import from_json, parse_json
from gateway.kit import ids
from gateway.mapping import DocumentFacts, MapContext, MapRegistry, apply_cxml, apply_tree
from gateway.partners.model import PartnerConfig
from gateway.partners.registry import PartnerRegistry
from gateway.pipeline.translate import DocumentOutcome, TranslateContext, Translated


@dataclass(frozen=True, slots=True)
class CxmlRead:
    """A cXML document as read and mapped, with who sent it."""

    envelope: cxml.Envelope
    partner: PartnerConfig | None
    partner_id: str
    sender: str  # the credential that names the sender, `domain:identity`
    outcome: DocumentOutcome


def cxml_partner(
    envelope: cxml.Envelope, partners: PartnerRegistry | None, forced: str | None
) -> tuple[PartnerConfig | None, str, str]:
    """(partner, partner id, sender credential): the forced partner, else the first From, then
    Sender, credential a partner file names; an unknown sender's id is its first credential."""
    credentials = (*envelope.from_, *envelope.sender)
    first = str(credentials[0]) if credentials else "cxml:unknown"
    if forced is not None:
        config = partners.get(forced) if partners is not None and forced in partners else None
        return config, forced, first
    if partners is not None:
        for cred in credentials:
            found = partners.identify_cxml(cred.domain, cred.identity)
            if found is not None:
                return found, found.id, str(cred)
    return None, first, first


def read_cxml(
    data: bytes,
    *,
    content_sha256: str,
    maps: MapRegistry,
    partners: PartnerRegistry | None = None,
    partner_id: str | None = None,
    file_name: str | None = None,
) -> CxmlRead:
    """Read and map one cXML document; FormatError when the bytes are not (safe, well-formed) cXML."""
    envelope, issues = cxml.read_envelope(cxml_parser.parse(data, file_name=file_name), file_name=file_name)
    partner, pid, sender = cxml_partner(envelope, partners, partner_id)
    doc_id = ids.document_id(content_sha256, 0)
    outcome = DocumentOutcome(
        document_id=doc_id,
        format="cxml",
        doc_type=envelope.name or str(envelope.kind),
        control_number=envelope.payload_id,
        version=envelope.version,
        is_test=envelope.is_test,
        issues=issues,
    )
    return CxmlRead(
        envelope, partner, pid, sender, _map_cxml(outcome, envelope, partner, pid, maps, file_name)
    )


def _map_cxml(
    outcome: DocumentOutcome,
    envelope: cxml.Envelope,
    partner: PartnerConfig | None,
    partner_id: str,
    maps: MapRegistry,
    file_name: str | None,
) -> DocumentOutcome:
    if envelope.kind is cxml.Kind.RESPONSE:
        status = envelope.status
        said = f" (Status {status.code} {status.text})" if status is not None else ""
        return replace(outcome, skipped=f"a cXML Response{said}: responses answer requests, nothing to map")
    if envelope.kind is cxml.Kind.MESSAGE:
        return replace(outcome, skipped=f"cXML Message {envelope.name} (punch-out) is not read")
    if outcome.rejected or envelope.name is None:
        return outcome  # the envelope itself is rejected: its content is not mapped
    try:
        compiled = maps.trees.cxml(
            envelope.name, cxml.version_family(envelope.version), partner.maps if partner else {}
        )
    except NoMapError as exc:
        return replace(outcome, skipped=exc.detail)
    ctx = MapContext(partner_id=partner_id, document_id=outcome.document_id, file=file_name)
    result = apply_cxml(compiled, envelope, ctx)
    return replace(outcome, events=result.events, issues=outcome.issues + result.issues)


def cxml_documents(source: BinaryIO, ctx: TranslateContext) -> Iterator[Translated]:
    """The translator `gateway translate` uses for cXML files: one document per file."""
    read = read_cxml(
        source.read(),
        content_sha256=ctx.content_sha256,
        maps=ctx.maps,
        partners=ctx.partners,
        partner_id=ctx.partner_id,
        file_name=ctx.file_name,
    )
    yield read.outcome


def json_map_of(partner: PartnerConfig, channel: str | None = None) -> str | None:
    """The JSON map a partner's payloads are read with: its portal's, or its REST channel's
    (`channel` "portal" or "rest_poll" picks one when it has both)."""
    portal, poll = partner.portal, partner.channels.rest_poll
    if channel == "rest_poll" and poll is not None:
        return poll.map
    if portal is not None and channel in (None, "portal"):
        return portal.map
    if poll is not None and channel in (None, "rest_poll"):
        return poll.map
    return None


def translate_json(
    data: bytes,
    *,
    content_sha256: str,
    maps: MapRegistry,
    partner_id: str,
    map_key: str,
    control: str,
    kind: str | None = None,
    file_name: str | None = None,
    prepared_at: datetime | None = None,
) -> list[DocumentOutcome]:
    """Every document of one JSON payload as read and mapped; FormatError when it is not JSON.

    `control` identifies the payload (a webhook id, a polled page) in issue locations and is each
    document's control number (with `#n` when the payload holds several)."""
    root = from_json(parse_json(data, file_name=file_name), file_name=file_name)
    unread = DocumentOutcome(
        document_id=ids.document_id(content_sha256, 0), format="json", doc_type="json", control_number=control
    )
    try:
        json_map = maps.trees.json(map_key)
    except MappingError as exc:
        return [replace(unread, skipped=exc.detail)]
    chosen = json_map.select(root, kind)
    if chosen is None:
        what = f"kind {kind!r}" if kind is not None else "no kind's `when`"
        return [replace(unread, skipped=f"{map_key}: {what} matches this payload")]
    name, compiled = chosen
    nodes = compiled.program.documents(root)
    out = []
    for ordinal, node in enumerate(nodes):
        number = f"{control}#{ordinal}" if len(nodes) > 1 else control
        doc_id = ids.document_id(content_sha256, ordinal)
        facts = DocumentFacts(prepared_at=prepared_at, sequence=0, source=f"json:{name}:{number}")
        where = Location(file=file_name, interchange=control)
        ctx = MapContext(partner_id=partner_id, document_id=doc_id, file=file_name)
        result = apply_tree(compiled, node, ctx, facts, where)
        out.append(
            DocumentOutcome(
                document_id=doc_id,
                format="json",
                doc_type=name,
                control_number=number,
                events=result.events,
                issues=result.issues,
            )
        )
    return out


def json_documents(source: BinaryIO, ctx: TranslateContext) -> Iterator[Translated]:
    """The translator `gateway translate` uses for JSON files, read with the forced partner's map."""
    data = source.read()
    name = ctx.file_name or "payload"
    partner = (
        ctx.partners.get(ctx.partner_id)
        if ctx.partners is not None and ctx.partner_id is not None and ctx.partner_id in ctx.partners
        else None
    )
    map_key = json_map_of(partner) if partner is not None else None
    if partner is None or map_key is None:
        yield DocumentOutcome(
            document_id=ids.document_id(ctx.content_sha256, 0),
            format="json",
            doc_type="json",
            control_number=name,
            skipped="a JSON payload is read with its partner's portal or REST map: give --partner",
        )
        return
    yield from translate_json(
        data,
        content_sha256=ctx.content_sha256,
        maps=ctx.maps,
        partner_id=partner.id,
        map_key=map_key,
        control=name,
        file_name=ctx.file_name,
    )


def first_error(issues: tuple[Issue, ...]) -> Issue | None:
    return next((i for i in issues if i.severity == "error"), None)
