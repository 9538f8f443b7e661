"""The supplier API's intake: a partner posts a commitment or a shipment as JSON, or raw EDI.

    submit(session, rt, partner_id=..., submission=..., raw=...)       # channel "api"
    upload_edi(session, rt, partner_id=..., raw=..., file_name=...)    # channel "http"

A posted body is a document like any other. In the caller's one transaction (the HTTP answer is the
acknowledgement, sent once it has committed): the raw body is stored as the receipt, then the same
receipt processing as every channel runs (`ingest.process_receipt`: interchange and document rows,
duplicates, the version rules, correlation, exception cases, events, and for EDI the 997/999/TA1).

The partner is the caller's (the token's), never what the body says: a PO number that is not the
partner's own is `NotFoundError` (whether another partner has it or nobody does), X12 whose
envelope names another partner's identity is refused before anything is stored, and so is cXML or
JSON posted as "EDI" (those have endpoints with their own credentials).
"""

from __future__ import annotations

import logging

from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from gateway.errors import GatewayError, NotFoundError
from gateway.formats import detect
from gateway.kit import ids
from gateway.pipeline import ingest, senders
from gateway.pipeline.intake import api as api_intake
from gateway.pipeline.reports import ReceiptReport
from gateway.pipeline.retry import RetryPolicy, describe, rng_for
from gateway.pipeline.runtime import Runtime
from gateway.pipeline.translate import HEAD_BYTES
from gateway.store import models as db
from gateway.store.repositories.erp import PurchaseOrderRepository
from gateway.store.repositories.intake import ProcessingStepRepository, ReceiptRepository

log = logging.getLogger(__name__)
EDI_CHANNEL = "http"  # raw EDI posted to the API


# What /v1/edi takes: EDI. cXML and JSON have endpoints of their own, with their own credentials
# (SharedSecret, webhook signatures), which a bearer token must not stand in for.
OTHER_ENDPOINTS = {detect.Format.CXML: "POST /cxml", detect.Format.JSON: "the supplier API's JSON operations"}


class NotEdiError(GatewayError):
    status = 415
    type = "/problems/not-edi"
    title = "Not EDI"


def _store(
    session: Session, rt: Runtime, *, channel: str, raw: bytes, partner_id: str, file_name: str | None
) -> db.Receipt:
    receipts = ReceiptRepository(session)
    # Two posts of the same bytes at once: the second waits for the first and is its duplicate.
    receipts.lock_content(
        ids.sha256_hex(raw), partner_id=partner_id if channel == api_intake.CHANNEL else None
    )
    receipt_id = ids.new_receipt_id()
    now = rt.clock.now()
    receipt = receipts.add(
        id=receipt_id,
        channel=channel,
        raw=raw,
        received_at=now,
        file_name=file_name,
        partner_id=partner_id,
        correlation_id=receipt_id,
    )
    ProcessingStepRepository(session).record(
        stage=db.Stage.RECEIVED, status=db.StepStatus.OK, receipt_id=receipt_id, at=now
    )
    return receipt


def submit(
    session: Session, rt: Runtime, *, partner_id: str, submission: api_intake.Submission, raw: bytes
) -> ReceiptReport:
    """Store a posted commitment or shipment and process it."""
    orders = PurchaseOrderRepository(session)
    for po_number in sorted(submission.po_numbers()):
        if orders.get(po_number, partner_id=partner_id) is None:
            raise NotFoundError(f"purchase order {po_number} does not exist", po_number=po_number)
    return _store_and_process(session, rt, partner_id, api_intake.kind_of(submission), raw)


def keep_rejected(session: Session, rt: Runtime, *, partner_id: str, kind: str, raw: bytes) -> ReceiptReport:
    """Store a body the API refused (not JSON, or not the schema of a `kind`) and process it as any
    receipt: reading it fails, so the receipt is `failed` with the reason and its bytes are kept, and
    the same bytes again are its duplicate."""
    return _store_and_process(session, rt, partner_id, kind, raw)


def _store_and_process(
    session: Session, rt: Runtime, partner_id: str, kind: str, raw: bytes
) -> ReceiptReport:
    receipt = _store(
        session,
        rt,
        channel=api_intake.CHANNEL,
        raw=raw,
        partner_id=partner_id,
        file_name=api_intake.file_name_for(kind),
    )
    return _process_stored(session, rt, receipt)


def upload_edi(
    session: Session, rt: Runtime, *, partner_id: str, raw: bytes, file_name: str | None = None
) -> ReceiptReport:
    """Store raw EDI posted by a partner's client and process it now (the answer carries the acks)."""
    fmt = detect.detect(raw[:HEAD_BYTES])
    if fmt in OTHER_ENDPOINTS:
        raise NotEdiError(f"the body is {fmt}, not X12 or EDIFACT: post it to {OTHER_ENDPOINTS[fmt]}")
    senders.check_sender(rt.partners, partner_id, raw, file_name)
    receipt = _store(session, rt, channel=EDI_CHANNEL, raw=raw, partner_id=partner_id, file_name=file_name)
    return _process_stored(session, rt, receipt)


def _process_stored(session: Session, rt: Runtime, receipt: db.Receipt) -> ReceiptReport:
    """Process a receipt stored in this transaction. When processing fails unexpectedly (not bad
    input, which `process_receipt` records as such), only the processing is rolled back: the receipt
    commits as `received`, its failed attempt counted, and the recovery sweep retries it until it is
    processed or dead-lettered. A database that cannot be reached rolls everything back (503)."""
    # The receipt's row is written first, in the caller's transaction (flushing begins it when
    # nothing has yet), so the savepoint below is nested in it and rolls back the processing alone.
    session.flush()
    try:
        with session.begin_nested():
            return ingest.process_receipt(session, rt, receipt.id)
    except (sa_exc.OperationalError, sa_exc.InterfaceError):
        raise
    except Exception as error:  # the API's intake edge: the bytes are kept, the work is retried
        reason = describe(error)
        log.warning("receipt %s: processing failed, kept for a retry: %s", receipt.id, reason, exc_info=True)
        policy = RetryPolicy.from_settings(rt.settings.jobs)
        now = rt.clock.now()
        receipt.attempts += 1
        receipt.last_error = reason
        receipt.next_attempt_at = now + policy.delay(receipt.attempts, rng_for(rt.settings.jobs))
        ProcessingStepRepository(session).record(
            stage=db.Stage.ATTEMPT,
            status=db.StepStatus.FAILED,
            receipt_id=receipt.id,
            detail=f"attempt {receipt.attempts} of {policy.max_attempts}: {reason}",
            at=now,
        )
        return ReceiptReport(
            receipt.id,
            receipt.file_name,
            str(db.ReceiptStatus.RECEIVED),
            detail=f"stored; processing failed and is retried: {reason}",
            received_at=receipt.received_at,
        )
