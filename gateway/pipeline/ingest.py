"""Intake: store the raw bytes first, then read, de-duplicate, map, correlate and acknowledge.

    receive(rt, data, ...)          raw bytes committed, `ingest.process_receipt` enqueued
    process_receipt(session, rt, id)  the whole story of one receipt, safe to run twice

`process_receipt` holds the receipt's row lock for its whole transaction (`SELECT ... FOR UPDATE
SKIP LOCKED` on PostgreSQL: a receipt another worker is processing answers `busy` at once) and a
lock on its content hash, so two copies of the same bytes are never read at the same time and the
later one always finds the earlier one processed. The retries around it live in
`pipeline/recovery.py`.

Nothing is acknowledged before the bytes are stored. The format is detected from the first bytes and
the receipt handed to that format's reader (`pipeline/intake/`). A duplicate (same bytes, or the same
partner and interchange control number within the partner's window) emits no events and is
acknowledged again.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping

from sqlalchemy.orm import Session

from gateway.errors import FormatError
from gateway.formats import detect
from gateway.kit import ids, logs, tracing
from gateway.pipeline import translate
from gateway.pipeline.intake import IntakeRun, Reader
from gateway.pipeline.intake import api as api_intake
from gateway.pipeline.intake import cxml as cxml_intake
from gateway.pipeline.intake import edifact as edifact_intake
from gateway.pipeline.intake import json_payload as json_intake
from gateway.pipeline.intake import x12 as x12_intake
from gateway.pipeline.reports import DocumentReport, ReceiptReport
from gateway.pipeline.runtime import Runtime
from gateway.store import models as db
from gateway.store.repositories.intake import ProcessingStepRepository, ReceiptRepository
from gateway.store.repositories.operations import advisory_lock, lock_row
from gateway.store.session import session_scope

log = logging.getLogger(__name__)
PROCESS_JOB = "ingest.process_receipt"
BUSY = "busy"  # the report status when another transaction holds the receipt

# One reader per format the gateway reads; a format without one is refused as unsupported.
READERS: Mapping[detect.Format, Reader] = {
    detect.Format.X12: x12_intake.read,
    detect.Format.EDIFACT: edifact_intake.read,
    detect.Format.CXML: cxml_intake.read,
    detect.Format.JSON: json_intake.read,
}
# Channels whose receipts are always one format, whatever their first bytes look like: the supplier
# API's JSON bodies. Their duplicates are the same bytes from the same partner.
CHANNEL_READERS: Mapping[str, Reader] = {
    api_intake.CHANNEL: api_intake.read,
}

__all__ = [
    "BUSY",
    "CHANNEL_READERS",
    "PROCESS_JOB",
    "READERS",
    "DocumentReport",
    "ReceiptReport",
    "process_receipt",
    "receive",
]


def receive(
    rt: Runtime,
    data: bytes,
    *,
    channel: str,
    file_name: str | None = None,
    partner_id: str | None = None,
    transport: dict[str, str] | None = None,
    process: bool = True,
    receipt_id: str | None = None,
) -> str:
    """Store the bytes (committed before anything else happens) and enqueue their processing.

    With `process=False` the receipt is only stored: a channel that must check the sender first
    (a cXML SharedSecret, a webhook signature) then calls `release` or `refuse`. A caller that
    passes its own `receipt_id` can tell, when this raises, whether the bytes were stored (the
    receipt exists: processing failed after the commit) or not."""
    if partner_id is not None:
        rt.partners.get(partner_id)  # an unknown partner is refused before anything is stored
    receipt_id = receipt_id or ids.new_receipt_id()
    with (
        logs.bound(correlation_id=receipt_id, receipt_id=receipt_id),
        tracing.span("ingest.receive", receipt_id=receipt_id, channel=channel, size=len(data)),
        session_scope(rt.sessionmaker) as session,
    ):
        return add_receipt(
            session,
            rt,
            data,
            channel=channel,
            file_name=file_name,
            partner_id=partner_id,
            transport=transport,
            process=process,
            receipt_id=receipt_id,
        )


def add_receipt(
    session: Session,
    rt: Runtime,
    data: bytes,
    *,
    channel: str,
    file_name: str | None = None,
    partner_id: str | None = None,
    transport: dict[str, str] | None = None,
    process: bool = True,
    receipt_id: str | None = None,
) -> str:
    """`receive` inside the caller's transaction (a poller stores a page and its cursor together):
    the receipt is processed after that transaction commits."""
    receipt_id = receipt_id or ids.new_receipt_id()
    now = rt.clock.now()
    row = ReceiptRepository(session).add(
        id=receipt_id,
        channel=channel,
        raw=data,
        received_at=now,
        file_name=file_name,
        partner_id=partner_id,
        correlation_id=receipt_id,
        transport=transport,
    )
    ProcessingStepRepository(session).record(
        stage=db.Stage.RECEIVED, status=db.StepStatus.OK, receipt_id=receipt_id, at=now
    )
    log.info("received %d bytes over %s as receipt %s", len(data), channel, receipt_id)
    if process:
        _queue(session, rt, row)
    return receipt_id


def _queue(session: Session, rt: Runtime, receipt: db.Receipt) -> None:
    """Queue the receipt's processing for after the commit. If the job is lost (Redis down, a worker
    killed), the recovery sweep queues it again once `next_attempt_at` has passed; a receipt held
    back by its channel (`process=False`) has none, so the sweep never processes it unverified."""
    receipt.next_attempt_at = rt.clock.now() + dt.timedelta(seconds=rt.settings.jobs.stuck_after_s)
    rt.jobs.enqueue_after_commit(session, PROCESS_JOB, receipt.id)


def release(rt: Runtime, receipt_id: str, *, partner_id: str | None) -> None:
    """A stored receipt the channel lets through (its sender verified, or its bytes to be refused by
    the reader): name its partner, enqueue processing (inline, it is processed before this returns)."""
    with session_scope(rt.sessionmaker) as session:
        row = ReceiptRepository(session).set_status(
            receipt_id, db.ReceiptStatus.RECEIVED, partner_id=partner_id
        )
        _queue(session, rt, row)


def refuse(
    rt: Runtime,
    receipt_id: str,
    detail: str,
    *,
    status: db.ReceiptStatus = db.ReceiptStatus.FAILED,
    duplicate_of: str | None = None,
) -> None:
    """A stored receipt the channel will not process (bad credentials or signature, a repeated
    webhook): its bytes stay, its status and a failed (or duplicate) step say why."""
    now = rt.clock.now()
    with session_scope(rt.sessionmaker) as session:
        ReceiptRepository(session).set_status(receipt_id, status, error=detail, duplicate_of_id=duplicate_of)
        ProcessingStepRepository(session).record(
            stage=db.Stage.PARSED,
            status=db.StepStatus.DUPLICATE if status is db.ReceiptStatus.DUPLICATE else db.StepStatus.FAILED,
            receipt_id=receipt_id,
            detail=detail,
            at=now,
        )


def process_receipt(session: Session, rt: Runtime, receipt_id: str) -> ReceiptReport:
    """Process one stored receipt. Running it again on a processed receipt changes nothing."""
    receipts = ReceiptRepository(session)
    locked, exists = lock_row(session, db.Receipt, receipt_id)
    if locked is None:
        if not exists:
            receipts.require(receipt_id)  # raises NotFoundError
        return ReceiptReport(receipt_id, None, BUSY)
    receipt = locked
    report = ReceiptReport(
        receipt_id, receipt.file_name, str(receipt.status), received_at=receipt.received_at
    )
    if receipt.status is not db.ReceiptStatus.RECEIVED:
        return report
    steps = ProcessingStepRepository(session)
    now = rt.clock.now()
    advisory_lock(session, f"receipt-content:{receipt.content_sha256}")
    channel_reader = CHANNEL_READERS.get(receipt.channel)
    original = receipts.find_handled_by_sha256(
        receipt.content_sha256,
        exclude_id=receipt.id,
        partner_id=receipt.partner_id if channel_reader is not None else None,
    )
    fmt = detect.detect(receipt.raw[: translate.HEAD_BYTES])
    report.format = str(fmt)
    run = IntakeRun(session, rt, receipt, report, now, duplicate_of=original.id if original else None)
    try:
        reader = channel_reader or READERS.get(fmt)
        if reader is None:
            raise translate.unsupported(fmt, receipt.file_name)
        reader(run)
    except FormatError as exc:
        detail = exc.describe()
        receipts.set_status(receipt.id, db.ReceiptStatus.FAILED, error=detail)
        steps.record(
            stage=db.Stage.PARSED, status=db.StepStatus.FAILED, receipt_id=receipt.id, detail=detail, at=now
        )
        run.applier.document_rejected(
            partner_id=receipt.partner_id or "unknown",
            subject=f"receipt:{receipt.id}",
            message=f"unreadable file: {detail}",
            document_id=None,
            actual=type(exc).__name__,
        )
        report.status, report.detail = "failed", detail
        _finish(receipt, report, rt)
        return report
    if original is not None:
        receipts.set_status(receipt.id, db.ReceiptStatus.DUPLICATE, duplicate_of_id=original.id)
        steps.record(
            stage=db.Stage.PARSED,
            status=db.StepStatus.DUPLICATE,
            receipt_id=receipt.id,
            detail=f"same bytes as receipt {original.id}",
            at=now,
        )
        report.status = "duplicate"
    else:
        receipts.set_status(receipt.id, db.ReceiptStatus.PROCESSED)
        report.status = "processed"
    report.exceptions_opened = len(run.applier.opened)
    _finish(receipt, report, rt)
    return report


def _finish(receipt: db.Receipt, report: ReceiptReport, rt: Runtime) -> None:
    receipt.processed_at = report.processed_at = rt.clock.now()
    receipt.next_attempt_at = None
    log.info("receipt %s %s: %d documents", receipt.id, report.status, len(report.documents))
