"""`POST /cxml`: a partner's cXML request in, the synchronous cXML Response out.

    bytes stored (committed) → parsed (hardened) → partner from the From/Sender credentials →
    SharedSecret (resolved from the partner's reference) compared in constant time → released for
    processing (inline now, or queued for a worker) → Response

The Status says what happened (cXML Reference Guide "Status"; EDI_REFERENCE.md "cXML"):

| Status | when |
| --- | --- |
| 200 OK | processed inline: stored, mapped and correlated (a duplicate payloadID too: nothing changes) |
| 201 Accepted | queued: a worker processes it (checks that need no database have passed) |
| 400 Bad Request | parsed, but not a Request, or its content has errors (the first is quoted) |
| 401 Unauthorized | no partner has the credentials, or the SharedSecret does not match |
| 403 Forbidden | the partner is disabled |
| 406 Not Acceptable | not well-formed or unsafe XML, or not cXML |
| 450 Not Implemented | a request type the gateway has no map for (InvoiceDetailRequest, ...) |
| 500 Internal Server Error | the partner's secret reference does not resolve, or processing failed: retry |

Every outcome leaves the bytes stored: refused receipts are marked failed with the reason; unreadable
or invalid ones are processed like any receipt (stored, failed, a `document_rejected` case).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from gateway.channels import cxml_post
from gateway.errors import FormatError, PartnerConfigError
from gateway.formats.cxml import model as cxml
from gateway.formats.cxml.writer import StatusCode, response
from gateway.formats.issues import Severity
from gateway.kit.ids import sha256_hex
from gateway.partners import secrets
from gateway.pipeline import ingest, tree_translate
from gateway.pipeline.runtime import Runtime

log = logging.getLogger(__name__)
CHANNEL = "cxml"


@dataclass(frozen=True, slots=True)
class Answer:
    """The Response to send and what it says."""

    code: StatusCode
    message: str
    receipt_id: str
    body: bytes
    partner_id: str | None = None


def _answer(
    rt: Runtime, code: StatusCode, message: str, receipt_id: str, partner_id: str | None = None
) -> Answer:
    body = response(
        code, payload_id=f"{uuid.uuid4()}@gateway", timestamp=rt.clock.now(), message=message[:2000]
    )
    log.info(
        "cXML post %s answered %d: %s", receipt_id, int(code), message, extra={"correlation_id": receipt_id}
    )
    return Answer(code, message, receipt_id, body, partner_id)


def receive(rt: Runtime, data: bytes, *, remote: str | None = None) -> Answer:
    """Store, authenticate and process (or queue) one posted cXML document (see the module docstring)."""
    receipt_id = ingest.receive(
        rt, data, channel=CHANNEL, transport={"remote": remote} if remote else None, process=False
    )
    try:
        read = tree_translate.read_cxml(
            data, content_sha256=sha256_hex(data), maps=rt.maps, partners=rt.partners
        )
    except FormatError as exc:
        ingest.release(rt, receipt_id, partner_id=None)  # recorded as failed, with a document_rejected case
        return _answer(rt, StatusCode.NOT_ACCEPTABLE, exc.describe(), receipt_id)
    envelope, partner = read.envelope, read.partner
    if envelope.kind is not cxml.Kind.REQUEST:
        ingest.refuse(rt, receipt_id, f"a cXML {envelope.kind} was posted; only Requests are accepted here")
        return _answer(rt, StatusCode.BAD_REQUEST, f"a cXML {envelope.kind} is not a Request", receipt_id)
    if partner is None or partner.cxml is None:
        detail = f"authentication failed: no partner has the credential {read.sender}"
        ingest.refuse(rt, receipt_id, detail)
        return _answer(
            rt, StatusCode.UNAUTHORIZED, "the From and Sender credentials are not recognised", receipt_id
        )
    try:
        expected = secrets.resolve(partner.cxml.shared_secret, base_dir=rt.settings.partners_dir)
    except PartnerConfigError as exc:
        ingest.refuse(rt, receipt_id, exc.detail)
        log.error("cXML post %s: %s", receipt_id, exc.detail, extra={"correlation_id": receipt_id})
        return _answer(
            rt, StatusCode.INTERNAL_SERVER_ERROR, "the gateway cannot check credentials now", receipt_id
        )
    if not cxml_post.shared_secret_matches(envelope.shared_secret, expected):
        ingest.refuse(
            rt, receipt_id, f"authentication failed: the SharedSecret for {partner.id} does not match"
        )
        return _answer(rt, StatusCode.UNAUTHORIZED, "the SharedSecret does not match", receipt_id)
    if not partner.enabled:
        ingest.refuse(rt, receipt_id, f"partner {partner.id} is disabled")
        return _answer(rt, StatusCode.FORBIDDEN, "the sender is not enabled", receipt_id)
    ingest.release(rt, receipt_id, partner_id=partner.id)
    outcome = read.outcome
    if outcome.skipped is not None:
        return _answer(rt, StatusCode.NOT_IMPLEMENTED, outcome.skipped, receipt_id, partner.id)
    error = next((i for i in outcome.issues if i.severity is Severity.ERROR), None)
    if error is not None:
        where = error.location.describe()
        return _answer(
            rt,
            StatusCode.BAD_REQUEST,
            f"{where}: {error.message}" if where else error.message,
            receipt_id,
            partner.id,
        )
    if rt.jobs.inline:
        return _answer(
            rt,
            StatusCode.OK,
            f"{outcome.doc_type} {outcome.control_number} processed",
            receipt_id,
            partner.id,
        )
    return _answer(
        rt, StatusCode.ACCEPTED, f"{outcome.doc_type} {outcome.control_number} queued", receipt_id, partner.id
    )
