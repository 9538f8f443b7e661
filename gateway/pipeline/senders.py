"""Who the envelope says sent a document, checked against who delivered it.

A channel that already knows the partner (the supplier API's token, a partner's file-drop mailbox,
an AS2 message verified with the partner's certificate) refuses bytes whose envelope names ANOTHER
partner's identity: a supplier never delivers as someone else. Identities no partner file names
are not refused here: intake records them as unknown senders. Bytes that cannot be framed pass too:
reading them fails in intake, which keeps them and records why.

Pure apart from reading the bytes given; the envelopes are read, the documents are not mapped.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Mapping

from gateway.errors import FormatError, PartnerError
from gateway.formats import detect
from gateway.formats.cxml import model as cxml
from gateway.formats.cxml import parser as cxml_parser
from gateway.formats.edifact import model as edifact
from gateway.formats.edifact import reader as edifact_reader
from gateway.formats.x12 import model as x12
from gateway.formats.x12 import reader as x12_reader
from gateway.partners.model import PartnerConfig
from gateway.partners.registry import PartnerRegistry
from gateway.pipeline.edifact_translate import partner_for as edifact_partner_for
from gateway.pipeline.translate import HEAD_BYTES, partner_for


class SenderMismatchError(PartnerError):
    """Bytes delivered by one partner name another partner as their sender."""

    status = 422
    type = "/problems/sender-mismatch"
    title = "The interchange names another partner"


# (the envelope that names the sender, the identity as sent, the partner it belongs to or None)
Named = tuple[str, str, PartnerConfig | None]
SenderReader = Callable[[bytes, PartnerRegistry, str | None], Iterator[Named]]


def _x12(raw: bytes, partners: PartnerRegistry, file_name: str | None) -> Iterator[Named]:
    for item in x12_reader.read(io.BytesIO(raw), file_name=file_name):
        if isinstance(item, x12.GroupOpened):
            header = item.interchange
            config, _ = partner_for(header, item.header, partners, None)
            identity = f"{header.sender_qualifier.strip()}:{header.sender_id.rstrip()}"
            yield f"interchange {header.control_number}", identity, config


def _edifact(raw: bytes, partners: PartnerRegistry, file_name: str | None) -> Iterator[Named]:
    for item in edifact_reader.read(io.BytesIO(raw), file_name=file_name):
        if isinstance(item, edifact.InterchangeOpened):
            header = item.header
            config, _ = edifact_partner_for(header, partners, None)
            identity = (
                f"{header.sender_qualifier}:{header.sender_id}"
                if header.sender_qualifier
                else header.sender_id
            )
            yield f"interchange {header.control_reference}", identity, config


def _cxml(raw: bytes, partners: PartnerRegistry, file_name: str | None) -> Iterator[Named]:
    envelope, _ = cxml.read_envelope(cxml_parser.parse(raw, file_name=file_name), file_name=file_name)
    for cred in (*envelope.from_, *envelope.sender):
        yield (
            f"cXML {envelope.payload_id}",
            str(cred),
            partners.identify_cxml(cred.domain, cred.identity),
        )


# The formats whose envelopes name a sender (JSON payloads come through channels of their own).
READERS: Mapping[detect.Format, SenderReader] = {
    detect.Format.X12: _x12,
    detect.Format.EDIFACT: _edifact,
    detect.Format.CXML: _cxml,
}


def check_sender(partners: PartnerRegistry, partner_id: str, raw: bytes, file_name: str | None) -> None:
    """Raise `SenderMismatchError` when an envelope in `raw` names another partner's identity."""
    reader = READERS.get(detect.detect(raw[:HEAD_BYTES]))
    if reader is None:
        return
    try:
        for where, identity, config in reader(raw, partners, file_name):
            if config is not None and config.id != partner_id:
                # Name the identity as the sender wrote it, never the partner it belongs to.
                raise SenderMismatchError(
                    f"{where} names {identity} as its sender, which is not your partner identity",
                    sender=identity,
                )
    except FormatError:
        return
