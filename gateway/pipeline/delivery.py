"""Outbound delivery to a partner's file drop: every message we write there (850, 860, 997, 999,
TA1...) is recorded `queued` in the transaction that creates it (`outbound.hand_over`) and written
to the outbox by the `outbound.deliver` job after the commit, with retries.

    path = delivery.queue_filedrop(session, rt, partner, message, name)   # in the caller's transaction
    deliver_with_retries(rt, message.id)                                  # the job: claim, write, settle

Why after the commit: a file written inside a transaction that then rolls back would reach the
partner with control numbers the database gives out again. The job claims the message
(`FOR UPDATE SKIP LOCKED`), writes it outside any transaction (temporary name, fsync, rename), and
records the outcome: `written`, or on a failure the error and a retry after an exponential
backoff with jitter, and after `jobs.max_attempts` the dead letter. Delivery is at least once, and
the file drop idempotent: a second write replaces the file with the same bytes.

AS2 has its own queue with the same shape (`pipeline/as2_outbound.py`: built in the transaction,
posted after the commit, retried by the channels sweep). Another transport joins here through the
`Transport` seam (`register`).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from sqlalchemy.orm import Session

from gateway.channels.filedrop import mailbox_for
from gateway.errors import DeliveryError, GatewayError, PartnerConfigError
from gateway.formats.edifact import model as edifact
from gateway.kit import logs, metrics, tracing
from gateway.partners.model import PartnerConfig
from gateway.pipeline.retry import RetryPolicy, describe, rng_for
from gateway.pipeline.runtime import Runtime
from gateway.store import models as db
from gateway.store.repositories.operations import DeadLetterRepository, lock_row
from gateway.store.session import session_scope

log = logging.getLogger(__name__)

DELIVER_JOB = "outbound.deliver"


@dataclass(frozen=True)
class Sent:
    """What a transport did: where the message went (a path, a URL, a message id) and the status."""

    where: str | None
    status: db.OutboundStatus = db.OutboundStatus.SENT


class Transport(Protocol):
    """One way of handing a recorded message to a partner after the commit. `send` raises
    `DeliveryError` (with `retryable`) when it cannot; any other exception is treated as transient."""

    name: str

    def send(self, rt: Runtime, partner: PartnerConfig, message: db.OutboundMessage) -> Sent: ...


class FileDropTransport:
    """The partner's file drop outbox (atomic write: temporary name, fsync, rename). The file is
    the message's content as UTF-8 (EDIFACT: in the repertoire its UNB declares), under the name
    `queue_filedrop` planned (`message.path`)."""

    name = "filedrop"

    def send(self, rt: Runtime, partner: PartnerConfig, message: db.OutboundMessage) -> Sent:
        if partner.channels.filedrop is None:
            raise DeliveryError(f"partner {partner.id} has no file drop any more", retryable=False)
        box = mailbox_for(rt.settings.data_dir, partner.channels.filedrop.root)
        name = (
            Path(message.path).name if message.path else f"{message.kind}_{message.interchange_control}.edi"
        )
        try:
            path = box.deliver(name, content_bytes(message))
        except OSError as error:
            raise DeliveryError(f"file drop {box.outbox}: {error}", retryable=True) from error
        return Sent(str(path), db.OutboundStatus.WRITTEN)


def content_bytes(message: db.OutboundMessage) -> bytes:
    """The bytes of a recorded message: UTF-8, or for EDIFACT the repertoire its UNB declares."""
    if message.format == "edifact":
        return edifact.encode(message.content, edifact.syntax_of(message.content))
    return message.content.encode("utf-8")


_TRANSPORTS: dict[str, Transport] = {"filedrop": FileDropTransport()}


def register(transport: Transport) -> None:
    """Add (or replace) a transport under its name."""
    _TRANSPORTS[transport.name] = transport


def queue(
    session: Session, rt: Runtime, message: db.OutboundMessage, *, transport: str, path: str | None = None
) -> None:
    """Mark a just-recorded message for `transport` and queue its `outbound.deliver` job for after
    the commit (dropped on rollback; the recovery sweep queues it again if the job is lost)."""
    if transport not in _TRANSPORTS:
        raise ValueError(f"no transport {transport!r} is registered")
    message.status = db.OutboundStatus.QUEUED
    message.transport = transport
    message.path = path
    message.correlation_id = message.correlation_id or logs.correlation_id()
    message.next_attempt_at = rt.clock.now() + dt.timedelta(seconds=rt.settings.jobs.stuck_after_s)
    session.flush()
    rt.jobs.enqueue_after_commit(session, DELIVER_JOB, message.id)


def queue_filedrop(
    session: Session, rt: Runtime, partner: PartnerConfig, message: db.OutboundMessage, name: str
) -> str:
    """Queue a message for the partner's file drop outbox under `name`; returns the path it will have."""
    if partner.channels.filedrop is None:
        raise PartnerConfigError(f"partner {partner.id} sends by file drop but has no channels.filedrop")
    path = str(mailbox_for(rt.settings.data_dir, partner.channels.filedrop.root).outbox / name)
    queue(session, rt, message, transport="filedrop", path=path)
    return path


class Outcome(StrEnum):
    DELIVERED = "delivered"
    DONE = "done"  # nothing to do (already delivered, or not queued)
    BUSY = "busy"
    RETRY = "retry"
    DEAD = "dead"
    MISSING = "missing"


@dataclass(frozen=True)
class Attempt:
    message_id: str
    outcome: Outcome
    attempts: int = 0
    where: str | None = None
    error: str | None = None
    retry_in: dt.timedelta | None = None


def deliver_with_retries(rt: Runtime, message_id: str, *, rng: random.Random | None = None) -> Attempt:
    """One delivery attempt of a queued message: claim, send outside any transaction, settle."""
    policy = RetryPolicy.from_settings(rt.settings.jobs)
    now = rt.clock.now()
    with session_scope(rt.sessionmaker) as session:
        message, exists = lock_row(session, db.OutboundMessage, message_id)
        if message is None:
            return Attempt(message_id, Outcome.BUSY if exists else Outcome.MISSING)
        if not _pending(message):
            return Attempt(message_id, Outcome.DONE, message.attempts, message.path)
        partner = rt.partners.get(message.partner_id) if message.partner_id in rt.partners else None
        transport = _TRANSPORTS.get(message.transport or "")
        if partner is None or transport is None:
            reason = f"no partner {message.partner_id} or no transport {message.transport!r} to deliver with"
            _dead_letter(session, message, reason, now)
            return Attempt(message_id, Outcome.DEAD, message.attempts, error=reason)
        if message.attempts >= policy.max_attempts:
            reason = message.last_error or "the worker stopped during every attempt"
            _dead_letter(session, message, reason, now)
            return Attempt(message_id, Outcome.DEAD, message.attempts, error=reason)
        message.attempts += 1
        message.next_attempt_at = now + policy.stuck_after
        number = message.attempts
        session.flush()
        session.expunge(message)  # sent below from this snapshot, outside the transaction
    with (
        logs.bound(correlation_id=message.correlation_id, outbound_message_id=message_id),
        tracing.span(DELIVER_JOB, message_id=message_id, transport=transport.name, attempt=number),
    ):
        try:
            sent = transport.send(rt, partner, message)
        except Exception as error:  # the edge of a delivery: recorded, then retried or dead-lettered
            retryable = not isinstance(error, GatewayError) or (
                isinstance(error, DeliveryError) and error.retryable
            )
            log.warning("outbound %s attempt %d failed: %s", message_id, number, describe(error))
            return _failed(
                rt, message_id, number, describe(error), retryable, policy, rng or rng_for(rt.settings.jobs)
            )
    with session_scope(rt.sessionmaker) as session:
        row, _ = lock_row(session, db.OutboundMessage, message_id)
        if row is not None and _pending(row):
            if row.status is db.OutboundStatus.QUEUED:  # a 997 may have settled it already
                row.status = sent.status
            row.path = sent.where or row.path
            row.delivered_at = rt.clock.now()
            row.next_attempt_at = None
            row.last_error = None
    log.info("outbound %s %s delivered by %s to %s", message.kind, message_id, transport.name, sent.where)
    return Attempt(message_id, Outcome.DELIVERED, number, sent.where)


def _failed(
    rt: Runtime,
    message_id: str,
    number: int,
    reason: str,
    retryable: bool,
    policy: RetryPolicy,
    rng: random.Random,
) -> Attempt:
    now = rt.clock.now()
    with session_scope(rt.sessionmaker) as session:
        row, _ = lock_row(session, db.OutboundMessage, message_id)
        if row is None or not _pending(row):
            return Attempt(message_id, Outcome.DONE, number, error=reason)
        row.last_error = reason
        if not retryable or number >= policy.max_attempts:
            _dead_letter(session, row, reason, now)
            return Attempt(message_id, Outcome.DEAD, number, error=reason)
        delay = policy.delay(number, rng)
        row.next_attempt_at = now + delay + policy.stuck_after
    metrics.job_retries.labels(job=DELIVER_JOB).inc()
    return Attempt(message_id, Outcome.RETRY, number, error=reason, retry_in=delay)


def _pending(message: db.OutboundMessage) -> bool:
    """Still to be handed to its transport. The status alone does not say it: a partner's 997 can
    move a message on (accepted, rejected) before the delivery job has recorded its outcome."""
    return (
        message.delivered_at is None
        and message.next_attempt_at is not None
        and message.status is not db.OutboundStatus.DEAD_LETTER
    )


def _dead_letter(session: Session, message: db.OutboundMessage, reason: str, now: dt.datetime) -> None:
    message.status = db.OutboundStatus.DEAD_LETTER
    message.last_error = reason
    message.next_attempt_at = None
    DeadLetterRepository(session).record(
        kind=db.DeadLetterKind.OUTBOUND_MESSAGE,
        item_id=message.id,
        job=DELIVER_JOB,
        attempts=message.attempts,
        reason=reason,
        partner_id=message.partner_id,
        correlation_id=message.correlation_id,
        at=now,
    )
    metrics.dead_lettered.labels(kind=str(db.DeadLetterKind.OUTBOUND_MESSAGE)).inc()
    log.error("outbound %s dead-lettered after %d attempts: %s", message.id, message.attempts, reason)
