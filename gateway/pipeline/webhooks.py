"""Webhooks to internal subscribers, fed from the transactional outbox.

    outbox_event ──fan_out──► webhook_delivery (pending, one per subscriber and event)
                               │ deliver: sign (Standard Webhooks), POST, log a webhook_attempt
                               ├─ 2xx ─────────────► delivered
                               ├─ failure, tries left ► pending, next_attempt_at = now + backoff
                               └─ failure, last try ──► dead

`sweep` does one round: fans out the events committed since each subscriber's position, then
delivers every due delivery (inline, or one `outbox.deliver` job each when Redis is configured).
It is run by the arq cron job `webhooks.sweep` and by `gateway webhooks deliver --once`.

Backoff: attempt n waits `min(base * 2**(n-1), cap)`, of which the second half is random ("equal
jitter", so subscribers that failed together do not all retry in the same second). The RNG is
seeded from `Settings.webhooks.jitter_seed` when set, and time is the runtime's clock, so tests
see exact schedules. Everything here is safe to run twice: a delivery that is not pending or not
yet due is left alone, and a second fan-out of the same event is a no-op (unique per subscriber
and event).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass, field

import httpx
from sqlalchemy.orm import Session, sessionmaker

from gateway.channels import webhook_out
from gateway.kit import logs, metrics
from gateway.kit.clock import Clock
from gateway.pipeline.runtime import Runtime
from gateway.settings import Settings, WebhookSettings
from gateway.store import models as db
from gateway.store.repositories.messaging import OutboxRepository
from gateway.store.repositories.operations import DeadLetterRepository
from gateway.store.repositories.webhooks import WebhookRepository
from gateway.store.session import session_scope
from gateway.worker.enqueue import Enqueuer

log = logging.getLogger(__name__)

DELIVER_JOB = "outbox.deliver"
SWEEP_JOB = "webhooks.sweep"
_FANOUT_PAGE = 1000


def message_id(cursor: int) -> str:
    """The `webhook-id` of an event: the same on every attempt, so receivers can de-duplicate."""
    return f"evt_{cursor}"


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    base: dt.timedelta
    cap: dt.timedelta

    @classmethod
    def from_settings(cls, settings: WebhookSettings) -> RetryPolicy:
        return cls(
            max_attempts=max(settings.max_attempts, 1),
            base=dt.timedelta(seconds=settings.backoff_base_s),
            cap=dt.timedelta(seconds=settings.backoff_max_s),
        )

    def delay(self, attempt: int, rng: random.Random) -> dt.timedelta:
        """The wait after failed attempt number `attempt` (1-based): half fixed, half random."""
        full = min(self.base * (1 << min(max(attempt - 1, 0), 32)), self.cap)
        return full / 2 + (full / 2) * rng.random()


@dataclass
class Webhooks:
    """What delivery needs, built once at the edge: subscribers by id, the sender, the policy."""

    subscribers: dict[str, webhook_out.ResolvedSubscriber]
    sender: webhook_out.WebhookSender
    policy: RetryPolicy
    clock: Clock
    rng: random.Random
    batch: int = 100
    lease: dt.timedelta = dt.timedelta(seconds=60)  # how long a claimed delivery is not due again

    @classmethod
    def from_settings(
        cls, settings: Settings, clock: Clock, *, transport: httpx.BaseTransport | None = None
    ) -> Webhooks:
        """Subscribers from `settings.subscribers_file` (none when unset); raises
        `webhook_out.SubscriberConfigError` for a bad file or a missing secret."""
        path = settings.subscribers_file
        subscribers = webhook_out.load_subscribers(path) if path is not None else []
        config = settings.webhooks
        return cls(
            subscribers={s.id: s for s in subscribers},
            sender=webhook_out.WebhookSender(timeout_s=config.timeout_s, transport=transport),
            policy=RetryPolicy.from_settings(config),
            clock=clock,
            rng=random.Random(config.jitter_seed),
            batch=config.batch,
            lease=dt.timedelta(seconds=config.timeout_s + 30),
        )

    def close(self) -> None:
        self.sender.close()


@dataclass(frozen=True)
class Outcome:
    delivery_id: int
    subscriber_id: str
    cursor: int
    status: db.DeliveryStatus
    attempt: int
    status_code: int | None
    error: str | None


@dataclass
class SweepReport:
    at: dt.datetime
    fanned_out: int = 0
    queued: int = 0
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, status: db.DeliveryStatus) -> int:
        return sum(1 for o in self.outcomes if o.status is status)


def fan_out(
    session: Session, subscribers: Iterable[webhook_out.ResolvedSubscriber], *, now: dt.datetime
) -> int:
    """A pending delivery for every event after each subscriber's position that its filter wants;
    returns how many were created. A subscriber seen for the first time starts at the end of the
    feed (`start: latest`) or at its beginning (`start: earliest`)."""
    outbox, repo = OutboxRepository(session), WebhookRepository(session)
    created = 0
    for sub in subscribers:
        position = repo.position(sub.id)
        if position is None and sub.config.start == "latest":
            repo.set_position(sub.id, outbox.last_cursor(), at=now)
            continue
        position = position or 0
        while True:
            events = outbox.list_after(position, limit=_FANOUT_PAGE)
            if not events:
                break
            wanted = [e.cursor for e in events if sub.config.wants(e.type)]
            created += repo.add_deliveries(sub.id, wanted, at=now)
            position = events[-1].cursor
            if len(events) < _FANOUT_PAGE:
                break
        repo.set_position(sub.id, position, at=now)
    return created


@dataclass(frozen=True)
class _Claim:
    subscriber: webhook_out.ResolvedSubscriber
    cursor: int
    body: bytes
    at: dt.datetime
    correlation_id: str


def deliver(factory: sessionmaker[Session], hooks: Webhooks, delivery_id: int) -> Outcome | None:
    """One attempt at one delivery; None when there is nothing to do (not found, held by another
    worker, no longer pending, or not yet due).

    Two short transactions around the POST, none during it (on SQLite an open write transaction
    would block every other writer for as long as the subscriber takes to answer): the first
    claims the delivery by moving `next_attempt_at` past the request timeout (a lease, so another
    sweep does not send it at the same time; if this process dies mid-request the lease runs out
    and the delivery is retried), the second logs the attempt and settles the delivery."""
    with session_scope(factory) as session:
        claimed = _claim(session, hooks, delivery_id)
    if not isinstance(claimed, _Claim):
        return claimed
    with logs.bound(correlation_id=claimed.correlation_id, webhook_delivery_id=str(delivery_id)):
        return _send_and_settle(factory, hooks, delivery_id, claimed)


def _send_and_settle(
    factory: sessionmaker[Session], hooks: Webhooks, delivery_id: int, claimed: _Claim
) -> Outcome | None:
    log.info("webhook %s: event %s to %s", delivery_id, claimed.cursor, claimed.subscriber.id)
    result = hooks.sender.send(
        claimed.subscriber, message_id(claimed.cursor), int(claimed.at.timestamp()), claimed.body
    )
    with session_scope(factory) as session:
        repo = WebhookRepository(session, hooks.clock)
        row = repo.get(delivery_id)
        if row is None:  # deleted while we were sending: nothing to settle
            return None
        attempt = row.attempts + 1
        if result.ok:
            status, next_at = db.DeliveryStatus.DELIVERED, None
        elif attempt >= hooks.policy.max_attempts:
            status, next_at = db.DeliveryStatus.DEAD, None
            log.warning(
                "webhook %s to %s is dead after %d attempts: %s",
                row.id,
                row.subscriber_id,
                attempt,
                result.error,
            )
        else:
            status, next_at = db.DeliveryStatus.PENDING, claimed.at + hooks.policy.delay(attempt, hooks.rng)
        repo.record_attempt(
            row,
            at=claimed.at,
            status_code=result.status_code,
            duration_ms=result.duration_ms,
            error=result.error,
            status=status,
            next_attempt_at=next_at,
        )
        if status is db.DeliveryStatus.DEAD:
            _dead_letter(session, row, result.error or f"HTTP {result.status_code}", claimed.at)
        elif status is db.DeliveryStatus.PENDING:
            metrics.job_retries.labels(job=DELIVER_JOB).inc()
        return _outcome(row, result.status_code, result.error)


def _dead_letter(session: Session, row: db.WebhookDelivery, reason: str, at: dt.datetime) -> None:
    event = session.get(db.OutboxEvent, row.event_cursor)
    DeadLetterRepository(session).record(
        kind=db.DeadLetterKind.WEBHOOK_DELIVERY,
        item_id=str(row.id),
        job=DELIVER_JOB,
        attempts=row.attempts,
        reason=f"subscriber {row.subscriber_id}: {reason}",
        partner_id=event.partner_id if event is not None else None,
        correlation_id=event.correlation_id if event is not None else None,
        at=at,
    )
    metrics.dead_lettered.labels(kind=str(db.DeadLetterKind.WEBHOOK_DELIVERY)).inc()


def _claim(session: Session, hooks: Webhooks, delivery_id: int) -> _Claim | Outcome | None:
    repo = WebhookRepository(session, hooks.clock)
    row = repo.claim(delivery_id)
    now = hooks.clock.now()
    if row is None or row.status is not db.DeliveryStatus.PENDING:
        return None
    if row.next_attempt_at is not None and row.next_attempt_at > now:
        return None
    sub = hooks.subscribers.get(row.subscriber_id)
    event = session.get(db.OutboxEvent, row.event_cursor)
    if sub is None or event is None:
        reason = f"subscriber {row.subscriber_id} is no longer configured" if sub is None else "no event"
        repo.give_up(row, reason, at=now)
        return _outcome(row, None, reason)
    body = OutboxRepository.event(event).model_dump_json().encode()
    row.next_attempt_at = now + hooks.lease
    session.flush()
    return _Claim(sub, row.event_cursor, body, now, event.correlation_id)


def _outcome(row: db.WebhookDelivery, status_code: int | None, error: str | None) -> Outcome:
    return Outcome(row.id, row.subscriber_id, row.event_cursor, row.status, row.attempts, status_code, error)


def sweep(rt: Runtime, hooks: Webhooks, *, jobs: Enqueuer | None = None) -> SweepReport:
    """Fan out, then deliver what is due: here, one `deliver` after the other, or queued as one
    `outbox.deliver` job each when `jobs` queues on arq."""
    now = hooks.clock.now()
    report = SweepReport(at=now)
    with session_scope(rt.sessionmaker) as session:
        report.fanned_out = fan_out(session, hooks.subscribers.values(), now=now)
    with session_scope(rt.sessionmaker) as session:
        due = [(d.id, d.attempts) for d in WebhookRepository(session).due(now, limit=hooks.batch)]
    for delivery_id, attempts in due:
        if jobs is not None and not jobs.inline:
            # keyed by the attempt: arq keeps a finished job's id for an hour, and a retry is a new job
            jobs.enqueue(DELIVER_JOB, str(delivery_id), key=f"try{attempts + 1}")
            report.queued += 1
            continue
        outcome = deliver(rt.sessionmaker, hooks, delivery_id)
        if outcome is not None:
            report.outcomes.append(outcome)
    return report
