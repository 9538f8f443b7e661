"""Both job modes give the same result: inline (no Redis) and queued on real Redis, processed by a real
arq worker in burst mode running the same `ingest.process_receipt` task code."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
import redis
from sqlalchemy import select

from gateway.kit.clock import FixedClock
from gateway.pipeline.delivery import content_bytes
from gateway.pipeline.runtime import Runtime, build_runtime
from gateway.store import models as db
from gateway.store.session import session_scope
from gateway.worker import enqueue
from gateway.worker.settings import run_worker_async
from tests.pipeline.support import (
    NOW,
    NewDatabase,
    case_keys,
    import_orders,
    ledger,
    receipt_view,
    receive_samples,
    settings_for,
)


def outcome(rt: Runtime, receipts: list[str]) -> object:
    """What processing produced, free of ids and times that differ between runs."""
    per_receipt = []
    for rid in receipts:
        view = receipt_view(rt, rid)
        per_receipt.append(
            (
                view.file_name,
                view.status,
                view.error,
                tuple(
                    (d.document_id, d.doc_type, d.control_number, d.status, d.events) for d in view.documents
                ),
                len(view.acks),
            )
        )
    lines = [(ln.po_number, ln.line_number, ln.ack_status, ln.committed, ln.shipped) for ln in ledger(rt)]
    return per_receipt, sorted(case_keys(rt), key=str), lines


@pytest.fixture
def queued_runtime(
    fresh_database: NewDatabase, tmp_path: Path, redis_url: str, queue_name: str
) -> Iterator[Runtime]:
    settings = settings_for(tmp_path / "queued", fresh_database(), redis_url=redis_url)
    rt = build_runtime(settings, clock=FixedClock(NOW))
    # This test's own queue, so no other run's worker takes its jobs (build_runtime uses the default).
    rt.jobs.close()
    rt.jobs = enqueue.Enqueuer.from_settings(settings, rt.sessionmaker, queue_name=queue_name)
    try:
        yield rt
    finally:
        rt.close()


@pytest.mark.redis
def test_queued_receipts_wait_for_the_worker_and_then_match_the_inline_run(
    runtime: Runtime, queued_runtime: Runtime, queue_name: str, redis_url: str
) -> None:
    import_orders(runtime)
    inline_receipts = receive_samples(runtime)
    expected = outcome(runtime, inline_receipts)

    rt = queued_runtime
    assert not rt.jobs.inline
    import_orders(rt)
    queued_receipts = receive_samples(rt)
    messages: Sequence[db.OutboundMessage] = []
    try:
        # Only queued so far: the raw bytes are stored, nothing is read.
        assert {receipt_view(rt, rid).status for rid in queued_receipts} == {"received"}
        assert all(receipt_view(rt, rid).documents == () for rid in queued_receipts)

        # One job at a time, so the files are processed in the order they arrived (as inline).
        worker = asyncio.run(
            run_worker_async(rt.settings, queue_name=queue_name, burst=True, handle_signals=False, max_jobs=1)
        )
        with session_scope(rt.sessionmaker) as session:
            messages = session.scalars(select(db.OutboundMessage)).all()
            statuses = {session.get(db.Receipt, rid).status for rid in queued_receipts}  # type: ignore[union-attr]
        # One job per receipt, and one `outbound.deliver` per message written (the 850s and acks).
        assert (worker.jobs_complete, worker.jobs_failed, worker.jobs_retried) == (9 + len(messages), 0, 0)
        assert outcome(rt, queued_receipts) == expected
        assert statuses == {db.ReceiptStatus.PROCESSED}
        assert all(m.delivered_at is not None and m.status is not db.OutboundStatus.QUEUED for m in messages)
        # The bytes each message was written as (UTF-8; an EDIFACT one in its UNB's repertoire).
        assert all(m.path is not None and Path(m.path).read_bytes() == content_bytes(m) for m in messages)
    finally:
        # arq's job and result keys are named by job id, not by the queue: remove ours.
        client = redis.Redis.from_url(redis_url)
        try:
            jobs = [enqueue.job_id("ingest.process_receipt", rid) for rid in queued_receipts]
            jobs += [enqueue.job_id("outbound.deliver", m.id) for m in messages]
            for job in jobs:
                client.delete(*(f"arq:{kind}:{job}" for kind in ("job", "result", "retry", "in-progress")))
        finally:
            client.close()
