"""The task functions: thin, safe to run twice, the same code inline and under arq.

Each loads by id, calls the pipeline inside one transaction, and returns a small summary.
"""

from __future__ import annotations

from gateway.pipeline import ingest, monitors
from gateway.pipeline.runtime import runtime_for_task
from gateway.store.session import session_scope
from gateway.worker import enqueue


@enqueue.task(ingest.PROCESS_JOB)
def process_receipt(ctx: enqueue.TaskContext, receipt_id: str) -> dict[str, object]:
    rt = runtime_for_task(ctx)
    with session_scope(ctx.sessionmaker) as session:
        report = ingest.process_receipt(session, rt, receipt_id)
    return {"receipt_id": report.receipt_id, "status": report.status, "documents": len(report.documents)}


@enqueue.task(monitors.JOB, max_tries=1)
def run_monitors(ctx: enqueue.TaskContext) -> dict[str, object]:
    """The SLA monitors (a cron job): open cases for missing 997s, 855s and shipments."""
    rt = runtime_for_task(ctx)
    with session_scope(ctx.sessionmaker) as session:
        report = monitors.run(session, rt)
    return {"opened": len(report.opened), "resolved": len(report.resolved)}
