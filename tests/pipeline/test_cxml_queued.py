"""With Redis configured, a posted cXML request is stored, authenticated and answered 201 (accepted
for later processing); a real arq worker in burst mode then processes it like the inline path."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from gateway.formats.cxml.writer import StatusCode
from gateway.kit.clock import FixedClock
from gateway.pipeline import cxml_requests
from gateway.pipeline.runtime import Runtime, build_runtime
from gateway.worker import enqueue
from gateway.worker.settings import run_worker_async
from tests.pipeline.support import NOW, SAMPLES, NewDatabase, import_orders, receipt_view, settings_for


@pytest.fixture
def queued(fresh_database: NewDatabase, tmp_path: Path, redis_url: str, queue_name: str) -> Iterator[Runtime]:
    settings = settings_for(tmp_path / "queued", fresh_database(), redis_url=redis_url)
    rt = build_runtime(settings, clock=FixedClock(NOW))
    rt.jobs.close()
    rt.jobs = enqueue.Enqueuer.from_settings(settings, rt.sessionmaker, queue_name=queue_name)
    try:
        yield rt
    finally:
        rt.close()


@pytest.mark.redis
def test_a_queued_post_answers_201_and_a_worker_processes_it(
    queued: Runtime, queue_name: str, redis_url: str
) -> None:
    import_orders(queued, send=False)
    data = (SAMPLES / "cxml" / "dunmore-packaging" / "confirmation_4500004001.xml").read_bytes()
    answer = cxml_requests.receive(queued, data)
    try:
        assert answer.code is StatusCode.ACCEPTED
        assert receipt_view(queued, answer.receipt_id).status == "received"
        worker = asyncio.run(
            run_worker_async(
                queued.settings, queue_name=queue_name, burst=True, handle_signals=False, max_jobs=1
            )
        )
        assert (worker.jobs_complete, worker.jobs_failed) == (1, 0)
        view = receipt_view(queued, answer.receipt_id)
        assert view.status == "processed"
        assert [(d.doc_type, d.status) for d in view.documents] == [("ConfirmationRequest", "correlated")]
    finally:
        client = redis.Redis.from_url(redis_url)
        try:
            job = enqueue.job_id("ingest.process_receipt", answer.receipt_id)
            client.delete(*(f"arq:{kind}:{job}" for kind in ("job", "result", "retry", "in-progress")))
        finally:
            client.close()
