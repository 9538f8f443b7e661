"""AS2 in: `POST /as2` from a partner, answered with an MDN.

    receive(rt, headers, body) -> Answer

1. The transmission (HTTP headers and body, as they came) is committed as an `as2_message` row
   before anything is read. When that fails (the database is unreachable) the answer is a 503 and
   no MDN: the partner's resend (same Message-ID) will be received.
2. pyas2lib decrypts, decompresses and verifies it with the certificate the partner's file
   references, and builds the MDN the partner asked for (signed when asked).
3. A message read and verified is a duplicate when the same AS2-From and Message-ID was processed
   before (answered `processed/Warning: duplicate-document`, nothing handed on); otherwise its
   payload goes to `ingest.receive` on channel "as2", unless its envelope names another partner as
   the sender (authentication-failed: the signer may deliver only as itself). A message that
   failed before (bad signature, decryption failure, our intake down) left no dedupe key, so its
   resend is processed.
4. Failures answer an MDN with the disposition modifier (authentication-failed, decryption-failed,
   insufficient-message-security, unknown-trading-partner, unexpected-processing-error); the raw
   bytes stay in the row either way.
5. The MDN is kept (raw, disposition, MIC). A synchronous one is the HTTP answer; an asynchronous
   one (Receipt-Delivery-Option) is posted by the `as2.send_mdn` job after the commit, and retried
   by `gateway channels run` until delivered. Asynchronous MDNs go only to partners the AS2-From
   names; an unknown sender gets its MDN in the response.

A POST that carries an MDN (multipart/report) is a partner's asynchronous MDN for something we
sent: `as2_outbound.receive_mdn` reads it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exc as sa_exc

from gateway.channels import as2 as channel
from gateway.errors import GatewayError
from gateway.kit import ids
from gateway.partners.model import PartnerConfig
from gateway.pipeline import as2_outbound, ingest, senders
from gateway.pipeline.as2_parties import (
    AS2NotConfiguredError,
    AS2RequestError,
    AS2UnavailableError,
    identity,
    profile,
)
from gateway.pipeline.runtime import Runtime
from gateway.store import models as db
from gateway.store.repositories.as2 import AS2MdnRepository, AS2MessageRepository, dedupe_key
from gateway.store.repositories.intake import ReceiptRepository
from gateway.store.session import session_scope

log = logging.getLogger(__name__)
CHANNEL = "as2"
INBOUND = db.Direction.INBOUND
AUTHENTICATION_FAILED = "authentication-failed"  # the MDN modifier for a sender that is not the signer


@dataclass(frozen=True)
class Answer:
    """The HTTP answer to an AS2 POST."""

    status_code: int
    headers: list[tuple[str, str]]
    body: bytes
    row_id: str | None = None  # the as2_message row
    disposition: str | None = None


def receive(rt: Runtime, headers: Iterable[tuple[str, str]], body: bytes) -> Answer:
    mime_headers = channel.transport_headers(headers)
    if channel.looks_like_mdn(mime_headers, body):
        return _answer_mdn(rt, channel.mime_bytes(mime_headers, body))
    raw = channel.mime_bytes(mime_headers, body)
    env = channel.envelope(mime_headers)
    row_id = _store(rt, env, raw)
    if env.as2_from is None or env.as2_to is None or env.message_id is None:
        _finish(rt, row_id, status=db.AS2Status.FAILED, error="no AS2-From, AS2-To or Message-ID header")
        raise AS2RequestError("an AS2 message needs AS2-From, AS2-To and Message-ID headers", row_id=row_id)
    try:
        ours = identity(rt.settings)
    except AS2NotConfiguredError as exc:
        _finish(rt, row_id, status=db.AS2Status.FAILED, error=exc.detail)
        raise
    known = rt.partners.identify_as2(env.as2_from)
    partner = known if known is not None and known.enabled else None
    inbound = channel.read_message(
        raw,
        find_org=lambda as2_to: channel.organization(ours) if as2_to == ours.as2_id else None,
        find_partner=lambda _as2_from: _pyas2_partner(rt, partner),
    )
    if not inbound.ok:
        log.warning(
            "AS2 %s from %s: %s (%s)", env.message_id, env.as2_from, inbound.disposition, inbound.error
        )
        return _reply(
            rt, row_id, inbound, inbound.mdn, partner, status=db.AS2Status.FAILED, error=inbound.error
        )
    assert partner is not None  # pyas2lib verified the message with this partner's certificate
    with session_scope(rt.sessionmaker) as session:
        earlier = AS2MessageRepository(session).processed(INBOUND, env.as2_from, env.message_id)
        earlier_sha = _receipt_sha(session, earlier.receipt_id) if earlier is not None else None
    if earlier is not None:
        return _duplicate(rt, row_id, inbound, partner, earlier.id, earlier_sha)
    payload = inbound.payload or b""
    try:
        senders.check_sender(rt.partners, partner.id, payload, _file_name(inbound))
    except senders.SenderMismatchError as exc:
        # Signed by this partner, addressed as another: refused like a failed signature, bytes kept.
        log.warning("AS2 %s from %s: %s", env.message_id, partner.id, exc)
        refused = inbound.rebuild_mdn(channel.UNEXPECTED_STATUS, AUTHENTICATION_FAILED)
        return _reply(
            rt, row_id, inbound, refused, partner, status=db.AS2Status.FAILED, error=f"sender mismatch: {exc}"
        )
    receipt_id: str = ids.new_receipt_id()
    try:
        ingest.receive(rt, payload, channel=CHANNEL, file_name=_file_name(inbound), receipt_id=receipt_id)
    except Exception as exc:  # intake's edge: stored or not decides the MDN
        stored = _stored(rt, receipt_id)
        if not stored:
            log.exception("AS2 %s from %s: the payload could not be stored", env.message_id, partner.id)
            failed = inbound.rebuild_mdn(channel.UNEXPECTED_STATUS, channel.UNEXPECTED_MODIFIER)
            return _reply(
                rt, row_id, inbound, failed, partner, status=db.AS2Status.FAILED, error=f"store failed: {exc}"
            )
        log.exception("AS2 %s: stored as receipt %s, processing failed", env.message_id, receipt_id)
    try:
        return _reply(
            rt,
            row_id,
            inbound,
            inbound.mdn,
            partner,
            status=db.AS2Status.PROCESSED,
            receipt_id=receipt_id,
            dedupe=dedupe_key(INBOUND, env.as2_from, env.message_id),
        )
    except sa_exc.IntegrityError:  # a concurrent copy of the same message was processed first
        return _duplicate(rt, row_id, inbound, partner, None, None, receipt_id=receipt_id)


def _pyas2_partner(rt: Runtime, partner: PartnerConfig | None) -> Any:
    if partner is None:
        return None
    return channel.partner(profile(rt.settings.partners_dir, partner), inbound=True)


def _file_name(inbound: channel.Inbound) -> str:
    if inbound.filename:
        return inbound.filename
    return f"as2-{(inbound.envelope.message_id or 'message').split('@')[0]}.edi"


def _store(rt: Runtime, env: channel.Envelope, raw: bytes) -> str:
    known = rt.partners.identify_as2(env.as2_from) if env.as2_from else None
    try:
        with session_scope(rt.sessionmaker) as session:
            row = AS2MessageRepository(session).add(
                direction=INBOUND,
                status=db.AS2Status.RECEIVED,
                at=rt.clock.now(),
                raw=raw,
                partner_id=known.id if known is not None else None,
                message_id=(env.message_id or "")[:255] or None,
                as2_from=(env.as2_from or "")[:128] or None,
                as2_to=(env.as2_to or "")[:128] or None,
                mdn_mode=env.mdn_mode,
                mdn_url=(env.mdn_url or "")[:1024] or None,
                mdn_signed=env.mdn_signed,
            )
            return row.id
    except sa_exc.SQLAlchemyError as exc:
        log.error("AS2 %s from %s could not be stored: %s", env.message_id, env.as2_from, exc)
        raise AS2UnavailableError("the message could not be stored; send it again later") from None


def _finish(rt: Runtime, row_id: str, **fields: Any) -> None:
    with session_scope(rt.sessionmaker) as session:
        AS2MessageRepository(session).update(row_id, at=rt.clock.now(), **fields)


def _stored(rt: Runtime, receipt_id: str) -> bool:
    try:
        with session_scope(rt.sessionmaker) as session:
            return ReceiptRepository(session).get(receipt_id) is not None
    except sa_exc.SQLAlchemyError:
        return False


def _receipt_sha(session: Any, receipt_id: str | None) -> str | None:
    if receipt_id is None:
        return None
    receipt = ReceiptRepository(session).get(receipt_id)
    return receipt.content_sha256 if receipt is not None else None


def _duplicate(
    rt: Runtime,
    row_id: str,
    inbound: channel.Inbound,
    partner: PartnerConfig,
    earlier_id: str | None,
    earlier_sha: str | None,
    *,
    receipt_id: str | None = None,
) -> Answer:
    same = earlier_sha is None or earlier_sha == ids.sha256_hex(inbound.payload or b"")
    note = "same content" if same else "DIFFERENT content under the same Message-ID"
    detail = f"duplicate of AS2 message {earlier_id or '(a concurrent copy)'}: {note}"
    log.info("AS2 %s from %s: %s", inbound.envelope.message_id, partner.id, detail)
    mdn = inbound.rebuild_mdn(channel.DUPLICATE_STATUS, channel.DUPLICATE_MODIFIER)
    return _reply(
        rt, row_id, inbound, mdn, partner, status=db.AS2Status.DUPLICATE, error=detail, receipt_id=receipt_id
    )


def _reply(
    rt: Runtime,
    row_id: str,
    inbound: channel.Inbound,
    mdn: channel.Mdn | None,
    partner: PartnerConfig | None,
    *,
    status: db.AS2Status,
    error: str | None = None,
    receipt_id: str | None = None,
    dedupe: str | None = None,
) -> Answer:
    """Record the outcome and the MDN in one transaction; the answer the partner gets."""
    disposition = mdn.disposition if mdn is not None else inbound.disposition
    if status is db.AS2Status.DUPLICATE:
        disposition = channel.disposition(channel.DUPLICATE_STATUS, channel.DUPLICATE_MODIFIER)
    asynchronous = mdn is not None and mdn.mode == "async" and partner is not None
    now = rt.clock.now()
    try:
        with session_scope(rt.sessionmaker) as session:
            AS2MessageRepository(session).update(
                row_id,
                at=now,
                status=status,
                disposition=disposition[:255],
                error=error,
                partner_id=partner.id if partner is not None else None,
                signed=inbound.signed,
                encrypted=inbound.encrypted,
                compressed=inbound.compressed,
                mic=inbound.mic,
                mic_alg=inbound.mic_alg,
                file_name=inbound.filename,
                content_type=inbound.content_type,
                receipt_id=receipt_id,
                dedupe_key=dedupe,
            )
            if mdn is not None:
                row = AS2MdnRepository(session).add(
                    as2_message_id=row_id,
                    direction=db.Direction.OUTBOUND,
                    disposition=mdn.disposition,
                    raw=mdn.raw,
                    mode="async" if asynchronous else "sync",
                    url=mdn.url if asynchronous else None,
                    delivery=db.MdnDelivery.PENDING if asynchronous else db.MdnDelivery.SYNC,
                    at=now,
                    message_id=mdn.message_id,
                    original_message_id=inbound.envelope.message_id,
                    mic=inbound.mic,
                    signed=mdn.signed,
                    # posted by the `as2.send_mdn` job after the commit; by the sweep only if not
                    next_attempt_at=_backoff(rt) if asynchronous else None,
                )
                if asynchronous:
                    rt.jobs.enqueue_after_commit(session, as2_outbound.SEND_MDN_JOB, row.id)
    except sa_exc.IntegrityError:
        raise
    except GatewayError:
        raise
    except sa_exc.SQLAlchemyError as exc:
        log.error("AS2 %s: the outcome could not be recorded: %s", inbound.envelope.message_id, exc)
        raise AS2UnavailableError("the outcome could not be recorded; send the message again later") from None
    if mdn is None:
        if status in (db.AS2Status.PROCESSED, db.AS2Status.DUPLICATE):
            return Answer(
                200, [("Content-Type", "text/plain")], f"{disposition}\r\n".encode(), row_id, disposition
            )
        raise AS2RequestError(f"{disposition}: {error}", row_id=row_id, disposition=disposition)
    if asynchronous:
        text = f"received; the MDN ({disposition}) follows at {mdn.url}\r\n"
        return Answer(200, [("Content-Type", "text/plain")], text.encode(), row_id, disposition)
    return Answer(200, _http_headers(mdn.headers), mdn.body, row_id, disposition)


def _backoff(rt: Runtime) -> dt.datetime:
    return rt.clock.now() + dt.timedelta(seconds=rt.settings.as2.retry_base_s)


def _http_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, " ".join(v.split())) for k, v in headers]


def _answer_mdn(rt: Runtime, raw: bytes) -> Answer:
    result = as2_outbound.receive_mdn(rt, raw)
    return Answer(200, [("Content-Type", "text/plain")], f"MDN received: {result}\r\n".encode())
