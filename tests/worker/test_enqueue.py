"""The enqueue facade: inline mode runs tasks at once; arq mode queues them on real Redis and a real
arq worker (burst mode) runs the same task code."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from gateway.settings import Settings
from gateway.store import models as db
from gateway.store import repositories as repo
from gateway.store.session import session_scope
from gateway.worker import enqueue
from gateway.worker.settings import run_worker_async

T0 = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)


@enqueue.task("test.mark_processed")
def mark_processed(ctx: enqueue.TaskContext, receipt_id: str) -> str:
    """Reads committed data and writes: what a real task does."""
    with session_scope(ctx.sessionmaker) as session:
        receipt = repo.ReceiptRepository(session).require(receipt_id)
        receipt.status = db.ReceiptStatus.PROCESSED
    return f"done:{receipt_id}"


def add_receipt(factory: sessionmaker[Session], receipt_id: str) -> None:
    with session_scope(factory) as session:
        repo.ReceiptRepository(session).add(id=receipt_id, channel="file", raw=b"x", received_at=T0)


def status_of(factory: sessionmaker[Session], receipt_id: str) -> db.ReceiptStatus:
    with factory() as session:
        return session.scalars(select(db.Receipt.status).where(db.Receipt.id == receipt_id)).one()


def remove_receipt(factory: sessionmaker[Session], receipt_id: str) -> None:
    with session_scope(factory) as session:
        session.execute(delete(db.Receipt).where(db.Receipt.id == receipt_id))


def test_job_ids_are_deterministic_and_readable() -> None:
    assert enqueue.job_id("ingest.process_receipt", "r1") == "ingest.process_receipt:r1"
    assert (
        enqueue.job_id("ingest.process_receipt", "r1", key="replay-2") == "ingest.process_receipt:r1:replay-2"
    )
    hashed = enqueue.job_id("x.y", "a:b")
    assert hashed == enqueue.job_id("x.y", "a:b") != enqueue.job_id("x.y", "a", "b")


def test_task_names_read_part_dot_verb_and_register_once() -> None:
    with pytest.raises(ValueError, match=r"<part>\.<verb>"):
        enqueue.task("nodot")
    with pytest.raises(ValueError, match="already registered"):
        enqueue.task("test.mark_processed")(lambda ctx: None)
    assert enqueue.registered()["test.mark_processed"].fn is mark_processed
    with pytest.raises(LookupError):
        enqueue.lookup("test.unknown")


def test_inline_mode_runs_the_task_immediately(
    sqlite_url: str, session_factory: sessionmaker[Session]
) -> None:
    jobs = enqueue.Enqueuer.from_settings(Settings(database_url=sqlite_url, redis_url=None), session_factory)
    add_receipt(session_factory, "r-inline")
    outcome = jobs.enqueue("test.mark_processed", "r-inline")
    assert jobs.inline
    assert outcome == enqueue.Enqueued(
        "test.mark_processed:r-inline", queued=True, inline=True, result="done:r-inline"
    )
    assert status_of(session_factory, "r-inline") is db.ReceiptStatus.PROCESSED


def test_enqueue_after_commit_waits_for_the_commit_and_drops_the_job_on_rollback(
    db_url: str, session_factory: sessionmaker[Session]
) -> None:
    jobs = enqueue.Enqueuer.from_settings(Settings(database_url=db_url), session_factory)
    with session_factory() as session:
        repo.ReceiptRepository(session).add(id="r-after", channel="file", raw=b"x", received_at=T0)
        jobs.enqueue_after_commit(session, "test.mark_processed", "r-after")
        session.commit()  # the task runs here, and sees the committed receipt
        assert status_of(session_factory, "r-after") is db.ReceiptStatus.PROCESSED

        repo.ReceiptRepository(session).add(id="r-rolled", channel="file", raw=b"y", received_at=T0)
        jobs.enqueue_after_commit(session, "test.mark_processed", "r-rolled")
        session.rollback()
        repo.ReceiptRepository(session).add(id="r-next", channel="file", raw=b"z", received_at=T0)
        session.commit()  # the dropped job must not run now (r-rolled does not exist)
    assert status_of(session_factory, "r-next") is db.ReceiptStatus.RECEIVED
    remove_receipt(session_factory, "r-after")
    remove_receipt(session_factory, "r-next")


def test_a_job_queued_inside_a_savepoint_waits_for_the_outer_commit(
    db_url: str, session_factory: sessionmaker[Session]
) -> None:
    jobs = enqueue.Enqueuer.from_settings(Settings(database_url=db_url), session_factory)
    with session_factory() as session:
        repo.ReceiptRepository(session).add(id="r-nested", channel="file", raw=b"n", received_at=T0)
        session.flush()
        with session.begin_nested():
            jobs.enqueue_after_commit(session, "test.mark_processed", "r-nested")
        # The SAVEPOINT is released, the receipt not committed: the job has not run.
        assert session.info[enqueue._PENDING] != []
        session.commit()
    assert status_of(session_factory, "r-nested") is db.ReceiptStatus.PROCESSED
    remove_receipt(session_factory, "r-nested")


@pytest.mark.redis
def test_arq_mode_queues_once_and_a_burst_worker_runs_the_same_task(
    db_url: str,
    session_factory: sessionmaker[Session],
    redis_url: str,
    redis_token: str,
    queue_name: str,
) -> None:
    settings = Settings(database_url=db_url, redis_url=redis_url)
    receipt_id = f"r-{redis_token}"
    add_receipt(session_factory, receipt_id)
    jobs = enqueue.Enqueuer.from_settings(settings, session_factory, queue_name=queue_name)
    try:
        first = jobs.enqueue("test.mark_processed", receipt_id)
        second = jobs.enqueue("test.mark_processed", receipt_id)
    finally:
        jobs.close()
    assert (first.queued, first.inline) == (True, False)
    assert second == enqueue.Enqueued(first.job_id, queued=False, inline=False)
    assert status_of(session_factory, receipt_id) is db.ReceiptStatus.RECEIVED  # only queued so far

    worker = asyncio.run(
        run_worker_async(settings, queue_name=queue_name, burst=True, task_modules=(), handle_signals=False)
    )
    assert (worker.jobs_complete, worker.jobs_failed) == (1, 0)
    assert status_of(session_factory, receipt_id) is db.ReceiptStatus.PROCESSED

    again = enqueue.Enqueuer.from_settings(settings, session_factory, queue_name=queue_name)
    try:
        # The result is kept, so the same job id is still refused after it ran.
        assert not again.enqueue("test.mark_processed", receipt_id).queued
        assert again.enqueue("test.mark_processed", receipt_id, key=f"replay-{redis_token}").queued
    finally:
        again.close()
    remove_receipt(session_factory, receipt_id)
