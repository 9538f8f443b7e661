"""The task functions: thin, safe to run twice, the same code inline and under arq.

Each loads by id, calls the pipeline inside one transaction, and returns a small summary.
"""

from __future__ import annotations

import logging

from gateway.pipeline import as2_outbound, cxml_orders, ingest, monitors, reconcile, rest_poll, webhooks
from gateway.pipeline.runtime import runtime_for_task
from gateway.store.session import session_scope
from gateway.worker import enqueue

log = logging.getLogger(__name__)


@enqueue.task(ingest.PROCESS_JOB)
def process_receipt(ctx: enqueue.TaskContext, receipt_id: str) -> dict[str, object]:
    rt = runtime_for_task(ctx)
    with session_scope(ctx.sessionmaker) as session:
        report = ingest.process_receipt(session, rt, receipt_id)
    return {"receipt_id": report.receipt_id, "status": report.status, "documents": len(report.documents)}


@enqueue.task(as2_outbound.SEND_JOB, max_tries=1)
def send_as2(ctx: enqueue.TaskContext, row_id: str) -> dict[str, object]:
    """One POST of an AS2 message (its retries are scheduled in the table and run by the channels sweep)."""
    try:
        attempt = as2_outbound.send(runtime_for_task(ctx), row_id)
    except Exception:  # the task's edge: the row stays pending, `gateway channels run` retries it
        log.exception("AS2 send of %s failed", row_id)
        return {"as2_message_id": row_id, "outcome": "error"}
    return {"as2_message_id": row_id, "outcome": attempt.outcome if attempt else None}


@enqueue.task(as2_outbound.SEND_MDN_JOB, max_tries=1)
def send_as2_mdn(ctx: enqueue.TaskContext, mdn_id: str) -> dict[str, object]:
    """One POST of our asynchronous MDN to the partner's Receipt-Delivery-Option URL."""
    try:
        attempt = as2_outbound.post_mdn(runtime_for_task(ctx), mdn_id)
    except Exception:  # the task's edge: the MDN stays pending, `gateway channels run` retries it
        log.exception("AS2 MDN post of %s failed", mdn_id)
        return {"mdn_id": mdn_id, "outcome": "error"}
    return {"mdn_id": mdn_id, "outcome": attempt.outcome if attempt else None}


@enqueue.task(monitors.JOB, max_tries=1)
def run_monitors(ctx: enqueue.TaskContext) -> dict[str, object]:
    """The SLA monitors (a cron job): open cases for missing 997s, 855s and shipments."""
    rt = runtime_for_task(ctx)
    with session_scope(ctx.sessionmaker) as session:
        report = monitors.run(session, rt)
    return {"opened": len(report.opened), "resolved": len(report.resolved)}


@enqueue.task(webhooks.DELIVER_JOB, max_tries=1)
def deliver_webhook(ctx: enqueue.TaskContext, delivery_id: str) -> dict[str, object]:
    """One attempt at one webhook delivery (its retries are scheduled in the table, not by arq)."""
    rt = runtime_for_task(ctx)
    hooks = webhooks.Webhooks.from_settings(rt.settings, rt.clock)
    try:
        outcome = webhooks.deliver(ctx.sessionmaker, hooks, int(delivery_id))
    finally:
        hooks.close()
    if outcome is None:
        return {"delivery_id": delivery_id, "status": None}
    return {"delivery_id": delivery_id, "status": str(outcome.status), "attempt": outcome.attempt}


@enqueue.task(webhooks.SWEEP_JOB, max_tries=1)
def sweep_webhooks(ctx: enqueue.TaskContext) -> dict[str, object]:
    """The webhook sweep (a cron job): fan new outbox events out, deliver or queue the due ones."""
    rt = runtime_for_task(ctx)
    hooks = webhooks.Webhooks.from_settings(rt.settings, rt.clock)
    try:
        report = webhooks.sweep(rt, hooks, jobs=ctx.enqueuer)
    finally:
        hooks.close()
    return {"fanned_out": report.fanned_out, "queued": report.queued, "attempted": len(report.outcomes)}


@enqueue.task(reconcile.JOB, max_tries=1)
def reconcile_snapshot(ctx: enqueue.TaskContext) -> dict[str, object]:
    """Reconcile the configured ERP snapshot (a cron job): logs a summary, opens no exceptions."""
    path = ctx.settings.reconcile_snapshot
    if path is None:
        return {"skipped": "no reconcile_snapshot configured"}
    lines = reconcile.parse_snapshot(path.read_bytes())
    now = runtime_for_task(ctx).clock.now()
    with session_scope(ctx.sessionmaker) as session:
        report = reconcile.reconcile(session, lines)
        reconcile.record_completion(session, report, snapshot=path.name, now=now)
    counts = report.counts()
    log.log(
        logging.WARNING if report.variances else logging.INFO,
        "reconciliation of %s: %d ERP lines, %d gateway lines, %d variances %s",
        path.name,
        report.erp_lines,
        report.gateway_lines,
        len(report.variances),
        counts,
    )
    return {"variances": len(report.variances), "counts": counts}


@enqueue.task(rest_poll.JOB, max_tries=3)
def poll_partner_api(ctx: enqueue.TaskContext, partner_id: str) -> dict[str, object]:
    """Poll one partner's REST API (confirmations and shipments) from its stored cursors."""
    report = rest_poll.poll(runtime_for_task(ctx), partner_id)
    if report.error is not None and not ctx.enqueuer.inline:
        raise enqueue.TransientError(report.error)
    return {
        "partner_id": partner_id,
        "pages": sum(len(r.receipts) for r in report.resources),
        "error": report.error or next((r.error for r in report.resources if r.error), None),
    }


@enqueue.task(rest_poll.SWEEP_JOB, max_tries=1)
def sweep_partner_apis(ctx: enqueue.TaskContext) -> dict[str, object]:
    """The REST poll sweep (a cron job, every minute): queue a poll of each partner whose
    `interval_minutes` has passed since its last one."""
    return {"queued": rest_poll.sweep(runtime_for_task(ctx), ctx.enqueuer)}


@enqueue.task(cxml_orders.DELIVER_JOB)
def deliver_cxml_order(ctx: enqueue.TaskContext, message_id: str) -> dict[str, object]:
    """POST one OrderRequest to its partner; a transient failure retries under arq with backoff."""
    error = cxml_orders.deliver(runtime_for_task(ctx), message_id)
    if error is not None and error.retryable and not ctx.enqueuer.inline:
        raise enqueue.TransientError(error.detail)
    return {"message_id": message_id, "error": error.detail if error is not None else None}
