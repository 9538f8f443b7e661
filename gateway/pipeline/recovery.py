"""Recovery: every received file processed exactly once, whatever crashes, and nothing stuck.

    process_with_retries(rt, receipt_id)   one attempt at ingest.process_receipt, with its bookkeeping
    sweep(rt)                              queue again what waited too long (the recovery.sweep cron job)

An attempt has three short transactions:

1. the claim: lock the receipt (`FOR UPDATE SKIP LOCKED` on PostgreSQL: a receipt another worker
   holds is left to it), count the attempt and move `next_attempt_at` a lease ahead, commit. The
   attempt is counted BEFORE the work, so a file that kills its worker (out of memory, SIGKILL) is
   still dead-lettered after `jobs.max_attempts` tries instead of looping forever;
2. the work: `ingest.process_receipt` in one transaction, which locks the receipt again and does
   nothing unless it is still `received`, so a second run (a duplicate job, a sweep, a restart
   after a crash) changes nothing;
3. on failure, the bookkeeping: the error is kept and the next attempt is due after an exponential
   backoff with jitter (`jobs.backoff_base_s` doubling per attempt, at most `jobs.backoff_max_s`,
   half of it random), or the receipt goes to `dead_letter` with its reason.

The sweeper finds receipts still `received` whose `next_attempt_at` has passed (the job was lost:
Redis was down when it was queued, or a worker died with it) and queues them again under a new
job id; outbound messages still `queued` likewise (`outbound.deliver`).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy.orm import Session

from gateway.kit import logs, metrics, tracing
from gateway.pipeline import delivery, ingest
from gateway.pipeline.reports import ReceiptReport
from gateway.pipeline.retry import RetryPolicy, describe, rng_for
from gateway.pipeline.runtime import Runtime
from gateway.store import models as db
from gateway.store.repositories.intake import ProcessingStepRepository
from gateway.store.repositories.operations import DeadLetterRepository, WorkRepository, lock_row
from gateway.store.session import session_scope

log = logging.getLogger(__name__)

SWEEP_JOB = "recovery.sweep"


class Outcome(StrEnum):
    DONE = "done"  # processed now, or already (a second run)
    BUSY = "busy"  # another worker holds the receipt right now
    RETRY = "retry"  # failed; due again after `retry_in`
    DEAD = "dead"  # gave up: dead-lettered
    MISSING = "missing"  # no such receipt


@dataclass(frozen=True)
class Attempt:
    receipt_id: str
    outcome: Outcome
    attempts: int = 0
    report: ReceiptReport | None = None
    error: str | None = None
    retry_in: dt.timedelta | None = None


def process_with_retries(rt: Runtime, receipt_id: str, *, rng: random.Random | None = None) -> Attempt:
    """One attempt at processing a receipt, counted, with a retry or a dead letter on failure."""
    policy = RetryPolicy.from_settings(rt.settings.jobs)
    now = rt.clock.now()
    with session_scope(rt.sessionmaker) as session:
        receipt, exists = lock_row(session, db.Receipt, receipt_id)
        if receipt is None:
            return Attempt(receipt_id, Outcome.BUSY if exists else Outcome.MISSING)
        if receipt.status is not db.ReceiptStatus.RECEIVED:
            return Attempt(receipt_id, Outcome.DONE, receipt.attempts)
        correlation_id = receipt.correlation_id or receipt.id
        if receipt.attempts >= policy.max_attempts:
            # The earlier attempts were counted but never reported back (their worker died).
            reason = receipt.last_error or "the worker stopped during every attempt"
            _dead_letter(session, receipt, reason, now)
            return Attempt(receipt_id, Outcome.DEAD, receipt.attempts, error=reason)
        receipt.attempts += 1
        receipt.next_attempt_at = now + policy.stuck_after
        number = receipt.attempts
    with (
        logs.bound(correlation_id=correlation_id, receipt_id=receipt_id),
        tracing.span(
            ingest.PROCESS_JOB, receipt_id=receipt_id, correlation_id=correlation_id, attempt=number
        ),
    ):
        try:
            with session_scope(rt.sessionmaker) as session:
                report = ingest.process_receipt(session, rt, receipt_id)
        except Exception as error:  # the edge of a task: recorded, then retried or dead-lettered
            log.warning(
                "receipt %s attempt %d failed: %s", receipt_id, number, describe(error), exc_info=True
            )
            return _failed(rt, receipt_id, number, describe(error), policy, rng or rng_for(rt.settings.jobs))
    if report.status == ingest.BUSY:
        return Attempt(receipt_id, Outcome.BUSY, number, report)
    _observe(report)
    return Attempt(receipt_id, Outcome.DONE, number, report)


def _observe(report: ReceiptReport) -> None:
    """Metrics of a committed processing (after the commit, so a rolled-back run counts nothing)."""
    if report.processed_at is None or report.received_at is None:
        return  # nothing was done now (already processed)
    metrics.receipts_processed.labels(status=report.status).inc()
    if report.status == "duplicate":
        metrics.duplicates_detected.labels(level="receipt").inc()
    metrics.processing_latency.labels(format=report.format or "unknown").observe(
        max((report.processed_at - report.received_at).total_seconds(), 0.0)
    )


def _failed(
    rt: Runtime, receipt_id: str, number: int, reason: str, policy: RetryPolicy, rng: random.Random
) -> Attempt:
    now = rt.clock.now()
    with session_scope(rt.sessionmaker) as session:
        receipt, _ = lock_row(session, db.Receipt, receipt_id)
        if receipt is None or receipt.status is not db.ReceiptStatus.RECEIVED:
            return Attempt(receipt_id, Outcome.DONE, number, error=reason)
        receipt.last_error = reason
        ProcessingStepRepository(session).record(
            stage=db.Stage.ATTEMPT,
            status=db.StepStatus.FAILED,
            receipt_id=receipt_id,
            detail=f"attempt {number} of {policy.max_attempts}: {reason}",
            at=now,
        )
        if number >= policy.max_attempts:
            _dead_letter(session, receipt, reason, now)
            return Attempt(receipt_id, Outcome.DEAD, number, error=reason)
        delay = policy.delay(number, rng)
        # The job is retried after `delay`; the sweeper steps in only if that retry is lost too.
        receipt.next_attempt_at = now + delay + policy.stuck_after
    metrics.job_retries.labels(job=ingest.PROCESS_JOB).inc()
    return Attempt(receipt_id, Outcome.RETRY, number, error=reason, retry_in=delay)


def _dead_letter(session: Session, receipt: db.Receipt, reason: str, now: dt.datetime) -> None:
    receipt.status = db.ReceiptStatus.DEAD_LETTER
    receipt.next_attempt_at = None
    DeadLetterRepository(session).record(
        kind=db.DeadLetterKind.RECEIPT,
        item_id=receipt.id,
        job=ingest.PROCESS_JOB,
        attempts=receipt.attempts,
        reason=reason,
        partner_id=receipt.partner_id,
        correlation_id=receipt.correlation_id,
        at=now,
    )
    ProcessingStepRepository(session).record(
        stage=db.Stage.ATTEMPT,
        status=db.StepStatus.FAILED,
        receipt_id=receipt.id,
        detail=f"dead-lettered after {receipt.attempts} attempts: {reason}",
        at=now,
    )
    metrics.dead_lettered.labels(kind=str(db.DeadLetterKind.RECEIPT)).inc()
    log.error("receipt %s dead-lettered after %d attempts: %s", receipt.id, receipt.attempts, reason)


# ------------------------------------------------------------------------------------- the sweeper


@dataclass
class SweepReport:
    at: dt.datetime
    receipts: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    not_queued: int = 0  # the queue refused or was unreachable


def sweep(rt: Runtime) -> SweepReport:
    """Queue again every receipt and outbound message whose next attempt is overdue. Each is given a
    new `next_attempt_at` one lease ahead first, so the next sweep leaves it alone while the job
    waits in the queue; queuing it twice is harmless (the work is done once)."""
    policy = RetryPolicy.from_settings(rt.settings.jobs)
    batch = max(rt.settings.jobs.sweep_batch, 1)
    now = rt.clock.now()
    report = SweepReport(at=now)
    with session_scope(rt.sessionmaker) as session:
        work = WorkRepository(session)
        for receipt in work.due_receipts(now, batch):
            receipt.next_attempt_at = now + policy.stuck_after
            report.receipts.append(receipt.id)
        for message in work.due_messages(now, batch):
            message.next_attempt_at = now + policy.stuck_after
            report.messages.append(message.id)
    key = f"sweep-{int(now.timestamp() * 1000)}"
    for name, ids in ((ingest.PROCESS_JOB, report.receipts), (delivery.DELIVER_JOB, report.messages)):
        for item_id in ids:
            try:
                rt.jobs.enqueue(name, item_id, key=key)
            except Exception as error:  # the queue is down: the next sweep tries again
                report.not_queued += 1
                log.warning("sweep: %s %s not queued: %s", name, item_id, describe(error))
    if report.receipts or report.messages:
        log.info(
            "sweep: queued %d receipts and %d outbound messages again",
            len(report.receipts),
            len(report.messages),
        )
    return report
