"""AS2 out: our documents to a partner's AS2 URL, their MDNs, and our asynchronous MDNs.

    queue(session, rt, partner, message, name, content, content_type)
        inside the caller's transaction: build the AS2 message (signed, encrypted, compressed as
        the partner's file says), keep its raw bytes and MIC, and queue `as2.send` after commit
    send(rt, row_id)          one POST; a synchronous MDN in the answer is verified and kept
    receive_mdn(rt, raw)      a partner's asynchronous MDN, matched to our message by Message-ID
    post_mdn(rt, mdn_id)      one POST of our asynchronous MDN to the partner's Receipt-Delivery-Option
    retry_due(rt)             the sends and MDN posts whose retry time has come

The network is never used inside a database transaction: the message is built and committed first,
posted, and the outcome recorded in a second transaction. A failed POST (no answer, HTTP 5xx, 429) is
retried with the same bytes and Message-ID (RFC 4130 resend semantics) after `retry_base_s`, doubling,
up to `max_attempts`; then the message is `undeliverable`. The MDN's disposition is written to the
outbound message row (`mdn_status`); a processed MDN marks it sent, an error MDN marks it failed.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Literal

import httpx
from sqlalchemy.orm import Session

from gateway.channels import as2 as channel
from gateway.errors import GatewayError
from gateway.partners.model import PartnerConfig
from gateway.pipeline.as2_parties import identity, profile
from gateway.pipeline.runtime import Runtime
from gateway.store import models as db
from gateway.store.repositories.as2 import AS2MdnRepository, AS2MessageRepository
from gateway.store.repositories.messaging import OutboundMessageRepository
from gateway.store.session import session_scope

log = logging.getLogger(__name__)
SEND_JOB = "as2.send"
SEND_MDN_JOB = "as2.send_mdn"
OUTBOUND = db.Direction.OUTBOUND
RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
MAX_ERROR = 1000

AttemptOutcome = Literal["delivered", "awaiting_mdn", "rejected", "retry", "undeliverable", "failed"]


@dataclass(frozen=True)
class Attempt:
    """One send or MDN post and how it ended."""

    kind: Literal["message", "mdn"]
    id: str
    partner_id: str | None
    outcome: AttemptOutcome
    detail: str | None = None


def queue(
    session: Session,
    rt: Runtime,
    partner: PartnerConfig,
    message: db.OutboundMessage,
    *,
    name: str,
    content: bytes,
    content_type: str,
) -> db.AS2Message:
    """Build our AS2 message for `message` and queue its sending for after the commit. A message
    that cannot be built (our key or their certificate missing) is recorded undeliverable, and the
    outbound message failed, without failing the caller's transaction."""
    as2 = partner.channels.as2
    assert as2 is not None
    now = rt.clock.now()
    messages = AS2MessageRepository(session)
    try:
        built = channel.build_message(
            identity(rt.settings),
            profile(rt.settings.partners_dir, partner),
            content,
            filename=name,
            content_type=content_type,
        )
    except (GatewayError, channel.AS2ConfigError) as exc:
        detail = getattr(exc, "detail", str(exc))
        log.error("AS2 to %s: %s cannot be built: %s", partner.id, name, detail)
        row = messages.add(
            direction=OUTBOUND,
            status=db.AS2Status.UNDELIVERABLE,
            at=now,
            partner_id=partner.id,
            as2_from=rt.settings.as2.as2_id,
            as2_to=as2.as2_id,
            file_name=name,
            content_type=content_type,
            outbound_message_id=message.id,
            error=detail,
        )
        OutboundMessageRepository(session).set_status(
            message.id, db.OutboundStatus.FAILED, mdn_status=f"not sent: {detail}"
        )
        return row
    row = messages.add(
        direction=OUTBOUND,
        status=db.AS2Status.PENDING,
        at=now,
        raw=built.raw,
        partner_id=partner.id,
        message_id=built.message_id,
        as2_from=rt.settings.as2.as2_id,
        as2_to=as2.as2_id,
        signed=built.signed,
        encrypted=built.encrypted,
        compressed=built.compressed,
        mic=built.mic,
        mic_alg=built.mic_alg,
        mdn_mode=as2.mdn_mode,
        mdn_url=rt.settings.as2.mdn_url if as2.mdn_mode == "async" else None,
        mdn_signed=as2.mdn_signed,
        file_name=name,
        content_type=content_type,
        outbound_message_id=message.id,
        # the `as2.send` job sends it after the commit; the channels sweep only if that did not happen
        next_attempt_at=_backoff(rt, 1),
    )
    OutboundMessageRepository(session).set_status(message.id, message.status, mdn_status="pending")
    rt.jobs.enqueue_after_commit(session, SEND_JOB, row.id)
    return row


def _backoff(rt: Runtime, attempts: int) -> dt.datetime:
    return rt.clock.now() + dt.timedelta(seconds=rt.settings.as2.retry_base_s * 2 ** max(attempts - 1, 0))


def send(rt: Runtime, row_id: str) -> Attempt | None:
    """One POST of a pending message; None when it is not pending (sent already, or given up)."""
    with session_scope(rt.sessionmaker) as session:
        row = AS2MessageRepository(session).require(row_id)
        if row.status is not db.AS2Status.PENDING or row.raw is None or row.partner_id is None:
            return None
        raw, partner_id, message_id, mic = row.raw, row.partner_id, row.message_id or "", row.mic
        attempts = row.attempts + 1
    partner = rt.partners.get(partner_id)
    as2 = partner.channels.as2
    if as2 is None or as2.url is None:
        return _give_up(rt, row_id, partner_id, attempts, f"partner {partner_id} has no AS2 url")
    headers, body = channel.split_mime(raw)
    try:
        with httpx.Client(timeout=rt.settings.as2.timeout_s, follow_redirects=False) as client:
            response = client.post(
                as2.url, headers=[(k, " ".join(v.split())) for k, v in headers], content=body
            )
    except httpx.HTTPError as exc:
        return _retry_or_give_up(rt, row_id, partner_id, attempts, f"{type(exc).__name__}: {exc}")
    if response.status_code in RETRYABLE_STATUS:
        return _retry_or_give_up(rt, row_id, partner_id, attempts, f"HTTP {response.status_code}")
    if not response.is_success:
        return _give_up(
            rt, row_id, partner_id, attempts, f"HTTP {response.status_code}: {response.text[:200]}"
        )
    if as2.mdn_mode == "async":
        with session_scope(rt.sessionmaker) as session:
            AS2MessageRepository(session).update(
                row_id, at=rt.clock.now(), status=db.AS2Status.AWAITING_MDN, attempts=attempts, error=None
            )
        return Attempt("message", row_id, partner_id, "awaiting_mdn", f"HTTP {response.status_code}")
    answer = channel.mime_bytes(channel.transport_headers(response.headers.multi_items()), response.content)
    if not channel.looks_like_mdn(
        channel.transport_headers(response.headers.multi_items()), response.content
    ):
        return _record_mdn(
            rt, row_id, partner, answer, None, attempts=attempts, problem="the answer holds no MDN"
        )
    result = channel.read_mdn(
        answer,
        identity=identity(rt.settings),
        profile=profile(rt.settings.partners_dir, partner),
        message_id=message_id,
        mic=mic,
    )
    return _record_mdn(rt, row_id, partner, answer, result, attempts=attempts, mode="sync")


def receive_mdn(rt: Runtime, raw: bytes) -> str:
    """A partner's asynchronous MDN: matched to our message, verified, kept. Returns its disposition
    (or why it matches nothing)."""
    original = channel.original_message_id(raw)
    with session_scope(rt.sessionmaker) as session:
        messages = AS2MessageRepository(session)
        row = messages.outbound_by_message_id(original) if original else None
        if row is None:
            env = channel.envelope(channel.split_mime(raw)[0])
            orphan = messages.add(
                direction=db.Direction.INBOUND,
                status=db.AS2Status.FAILED,
                at=rt.clock.now(),
                raw=raw,
                message_id=env.message_id,
                as2_from=env.as2_from,
                as2_to=env.as2_to,
                error=f"an MDN for {original or 'no Original-Message-ID'}, which we did not send",
            )
            log.warning("AS2 MDN for unknown message %s kept as %s", original, orphan.id)
            return "original-message-not-found"
        row_id, partner_id, mic, attempts = row.id, row.partner_id, row.mic, row.attempts
    assert partner_id is not None
    partner = rt.partners.get(partner_id)
    result = channel.read_mdn(
        raw,
        identity=identity(rt.settings),
        profile=profile(rt.settings.partners_dir, partner),
        message_id=original or "",
        mic=mic,
    )
    attempt = _record_mdn(rt, row_id, partner, raw, result, attempts=attempts, mode="async")
    return attempt.detail or attempt.outcome


def _record_mdn(
    rt: Runtime,
    row_id: str,
    partner: PartnerConfig,
    raw: bytes,
    result: channel.MdnResult | None,
    *,
    attempts: int,
    mode: str = "sync",
    problem: str | None = None,
) -> Attempt:
    disposition = result.disposition if result is not None else f"failed/Failure: {problem}"
    ok = result is not None and result.ok
    now = rt.clock.now()
    with session_scope(rt.sessionmaker) as session:
        messages = AS2MessageRepository(session)
        row = messages.update(
            row_id,
            at=now,
            status=db.AS2Status.DELIVERED if ok else db.AS2Status.REJECTED,
            disposition=disposition[:255],
            attempts=attempts,
            error=None if ok else disposition,
        )
        AS2MdnRepository(session).add(
            as2_message_id=row_id,
            direction=db.Direction.INBOUND,
            disposition=disposition,
            raw=raw,
            mode=mode,
            delivery=db.MdnDelivery.RECEIVED,
            at=now,
            message_id=result.message_id if result is not None else None,
            original_message_id=row.message_id,
            mic=result.mic if result is not None else None,
            signed=result.signed if result is not None else False,
        )
        if row.outbound_message_id is not None:
            outbound = OutboundMessageRepository(session)
            current = outbound.get(row.outbound_message_id)
            if current is not None:
                status = current.status
                if ok and status is db.OutboundStatus.WRITTEN:
                    status = db.OutboundStatus.SENT
                elif not ok and status in (db.OutboundStatus.WRITTEN, db.OutboundStatus.SENT):
                    status = db.OutboundStatus.FAILED
                outbound.set_status(current.id, status, mdn_status=disposition)
    log.log(logging.INFO if ok else logging.WARNING, "AS2 to %s: MDN %s", partner.id, disposition)
    return Attempt("message", row_id, partner.id, "delivered" if ok else "rejected", disposition)


def _retry_or_give_up(rt: Runtime, row_id: str, partner_id: str, attempts: int, error: str) -> Attempt:
    if attempts >= rt.settings.as2.max_attempts:
        return _give_up(rt, row_id, partner_id, attempts, f"{error} (after {attempts} attempts)")
    with session_scope(rt.sessionmaker) as session:
        AS2MessageRepository(session).update(
            row_id,
            at=rt.clock.now(),
            attempts=attempts,
            error=error[:MAX_ERROR],
            next_attempt_at=_backoff(rt, attempts),
        )
    log.warning("AS2 to %s: attempt %d failed (%s); will retry", partner_id, attempts, error)
    return Attempt("message", row_id, partner_id, "retry", error)


def _give_up(rt: Runtime, row_id: str, partner_id: str, attempts: int, error: str) -> Attempt:
    with session_scope(rt.sessionmaker) as session:
        row = AS2MessageRepository(session).update(
            row_id,
            at=rt.clock.now(),
            status=db.AS2Status.UNDELIVERABLE,
            attempts=attempts,
            error=error[:MAX_ERROR],
        )
        if row.outbound_message_id is not None:
            OutboundMessageRepository(session).set_status(
                row.outbound_message_id, db.OutboundStatus.FAILED, mdn_status=f"undeliverable: {error}"
            )
    log.error("AS2 to %s: given up: %s", partner_id, error)
    return Attempt("message", row_id, partner_id, "undeliverable", error)


# ------------------------------------------------------------------ our asynchronous MDNs


def post_mdn(rt: Runtime, mdn_id: str) -> Attempt | None:
    """One POST of our asynchronous MDN; None when it is not pending."""
    with session_scope(rt.sessionmaker) as session:
        mdn = AS2MdnRepository(session).require(mdn_id)
        if mdn.delivery is not db.MdnDelivery.PENDING or mdn.url is None:
            return None
        message = AS2MessageRepository(session).require(mdn.as2_message_id)
        raw, url, attempts, partner_id = mdn.raw, mdn.url, mdn.attempts + 1, message.partner_id
    headers, body = channel.split_mime(raw)
    error: str | None = None
    try:
        with httpx.Client(timeout=rt.settings.as2.timeout_s, follow_redirects=False) as client:
            response = client.post(url, headers=[(k, " ".join(v.split())) for k, v in headers], content=body)
        if not response.is_success:
            error = f"HTTP {response.status_code}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"
    now = rt.clock.now()
    with session_scope(rt.sessionmaker) as session:
        repo = AS2MdnRepository(session)
        if error is None:
            repo.update(
                mdn_id, delivery=db.MdnDelivery.DELIVERED, attempts=attempts, delivered_at=now, error=None
            )
            return Attempt("mdn", mdn_id, partner_id, "delivered", url)
        if attempts >= rt.settings.as2.max_attempts:
            repo.update(mdn_id, delivery=db.MdnDelivery.FAILED, attempts=attempts, error=error[:MAX_ERROR])
            log.error("AS2 MDN %s to %s: given up: %s", mdn_id, url, error)
            return Attempt("mdn", mdn_id, partner_id, "failed", error)
        repo.update(
            mdn_id, attempts=attempts, error=error[:MAX_ERROR], next_attempt_at=_backoff(rt, attempts)
        )
    log.warning("AS2 MDN %s to %s: attempt %d failed (%s); will retry", mdn_id, url, attempts, error)
    return Attempt("mdn", mdn_id, partner_id, "retry", error)


def retry_due(rt: Runtime, *, partner_id: str | None = None) -> list[Attempt]:
    """Send the messages and post the MDNs whose (re)try time has come."""
    now = rt.clock.now()
    with session_scope(rt.sessionmaker) as session:
        messages = [
            r.id for r in AS2MessageRepository(session).due(now) if partner_id in (None, r.partner_id)
        ]
        mdns = [m.id for m in AS2MdnRepository(session).due(now)]
    out: list[Attempt] = []
    for row_id in messages:
        attempt = send(rt, row_id)
        if attempt is not None:
            out.append(attempt)
    for mdn_id in mdns:
        attempt = post_mdn(rt, mdn_id)
        if attempt is not None and partner_id in (None, attempt.partner_id):
            out.append(attempt)
    return out
