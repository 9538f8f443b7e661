"""Recovery on SQLite and PostgreSQL: attempts counted, retries after a backoff with jitter, dead
letters with their reason, the sweeper queueing lost work again, row locks between workers, and
two copies of one file read at the same time.

Transient failures come from a real seam: a format reader (`ingest.READERS`) that fails a given
number of times before it reads, the way a reader fails when its database connection drops.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from gateway.formats import detect
from gateway.kit.clock import FixedClock
from gateway.pipeline import delivery, ingest, recovery, retry
from gateway.pipeline.intake import IntakeRun
from gateway.pipeline.runtime import Runtime, build_runtime
from gateway.settings import JobSettings
from gateway.store import models as db
from gateway.store.repositories.intake import ReceiptRepository
from gateway.store.session import make_engine, session_scope
from tests.db_fixtures import unique_id
from tests.pipeline.support import NOW, NewDatabase, counts, import_orders, sample, sample_files, settings_for

JOBS = JobSettings(max_attempts=3, backoff_base_s=10, backoff_max_s=3600, stuck_after_s=60, jitter_seed=11)


class FlakyReader:
    """Fails `failures` times with a transient error, then reads nothing (an empty JSON file)."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def __call__(self, run: IntakeRun) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionError(f"server closed the connection (call {self.calls})")


@pytest.fixture
def rt(fresh_database: NewDatabase, tmp_path: Path) -> Iterator[Runtime]:
    settings = settings_for(tmp_path / "data", fresh_database()).model_copy(update={"jobs": JOBS})
    runtime = build_runtime(settings, clock=FixedClock(NOW))
    try:
        yield runtime
    finally:
        runtime.close()


def receipt(rt: Runtime, receipt_id: str) -> db.Receipt:
    with session_scope(rt.sessionmaker) as session:
        row = session.get(db.Receipt, receipt_id)
        assert row is not None
        return row


def advance(rt: Runtime, seconds: float) -> None:
    assert isinstance(rt.clock, FixedClock)
    rt.clock.advance(dt.timedelta(seconds=seconds))


def test_a_transient_failure_is_retried_after_a_jittered_backoff_and_then_processed(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = FlakyReader(failures=1)
    monkeypatch.setitem(ingest.READERS, detect.Format.JSON, reader)
    rid = ingest.receive(rt, b'{"hello": "world"}', channel="test")  # inline: the first attempt fails

    row = receipt(rt, rid)
    assert (row.status, row.attempts) == (db.ReceiptStatus.RECEIVED, 1)
    assert row.last_error == "ConnectionError: server closed the connection (call 1)"
    expected = retry.RetryPolicy.from_settings(JOBS).delay(1, retry.rng_for(JOBS))
    assert dt.timedelta(seconds=5) <= expected <= dt.timedelta(seconds=10)  # base 10 s, half of it jitter
    assert row.next_attempt_at == NOW + expected + dt.timedelta(seconds=60)

    assert recovery.sweep(rt).receipts == []  # not due yet
    advance(rt, 75)
    report = recovery.sweep(rt)
    assert report.receipts == [rid]
    row = receipt(rt, rid)
    assert (row.status, row.attempts, reader.calls) == (db.ReceiptStatus.PROCESSED, 2, 2)
    assert row.processed_at == NOW + dt.timedelta(seconds=75)
    with session_scope(rt.sessionmaker) as session:
        steps = session.scalars(select(db.ProcessingStep).where(db.ProcessingStep.receipt_id == rid)).all()
    assert [(s.stage, s.status) for s in steps] == [
        (db.Stage.RECEIVED, db.StepStatus.OK),
        (db.Stage.ATTEMPT, db.StepStatus.FAILED),
    ]


def test_after_the_last_attempt_the_receipt_is_dead_lettered_with_its_reason(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = FlakyReader(failures=99)
    monkeypatch.setitem(ingest.READERS, detect.Format.JSON, reader)
    rid = ingest.receive(rt, b'{"n": 1}', channel="test")
    outcomes = []
    for _ in range(2):
        advance(rt, 3600)
        outcomes.append(recovery.process_with_retries(rt, rid).outcome)
    assert outcomes == [recovery.Outcome.RETRY, recovery.Outcome.DEAD]
    row = receipt(rt, rid)
    assert (row.status, row.attempts, row.next_attempt_at) == (db.ReceiptStatus.DEAD_LETTER, 3, None)
    with session_scope(rt.sessionmaker) as session:
        letter = session.scalars(select(db.DeadLetter).where(db.DeadLetter.item_id == rid)).one()
    assert (letter.kind, letter.job, letter.attempts) == (
        db.DeadLetterKind.RECEIPT,
        "ingest.process_receipt",
        3,
    )
    assert letter.reason == "ConnectionError: server closed the connection (call 3)"
    advance(rt, 86400)
    assert recovery.sweep(rt).receipts == []  # a dead letter waits for a replay
    assert recovery.process_with_retries(rt, rid).outcome is recovery.Outcome.DONE
    assert reader.calls == 3


def test_an_attempt_is_counted_before_the_work_so_a_file_that_kills_its_worker_is_dead_lettered(
    rt: Runtime,
) -> None:
    rid = ingest.receive(rt, sample("borealis-plastics", "855_000002202.edi"), channel="test")
    assert receipt(rt, rid).status is db.ReceiptStatus.PROCESSED
    crashed = ingest.receive(rt, b"ISA*00*never read", channel="test", file_name="crash.edi")
    # What three killed workers leave behind: three counted attempts, no outcome recorded.
    with session_scope(rt.sessionmaker) as session:
        row = session.get(db.Receipt, crashed)
        assert row is not None
        row.status, row.attempts = db.ReceiptStatus.RECEIVED, 3
    attempt = recovery.process_with_retries(rt, crashed)
    assert attempt.outcome is recovery.Outcome.DEAD
    assert attempt.error == "the worker stopped during every attempt"
    assert receipt(rt, crashed).status is db.ReceiptStatus.DEAD_LETTER


def test_running_a_processed_receipt_again_changes_nothing(rt: Runtime) -> None:
    import_orders(rt)
    rid = ingest.receive(rt, sample("borealis-plastics", "855_000002202.edi"), channel="test")
    before = counts(rt)
    attempt = recovery.process_with_retries(rt, rid)
    assert (attempt.outcome, attempt.attempts) == (recovery.Outcome.DONE, 1)
    assert counts(rt) == before


@pytest.mark.postgres
def test_a_receipt_another_worker_holds_is_left_to_it_at_once(postgres_url: str, tmp_path: Path) -> None:
    """Row locks are PostgreSQL's (SQLite serialises writers: the tests above cover it)."""
    settings = settings_for(tmp_path / "data", postgres_url).model_copy(update={"jobs": JOBS})
    rt = build_runtime(settings, clock=FixedClock(NOW))
    held = unique_id("held")
    try:
        with session_scope(rt.sessionmaker) as session:  # stored, not processed
            ReceiptRepository(session).add(id=held, channel="test", raw=b'{"a": 1}', received_at=NOW)
        engine = make_engine(postgres_url)
        try:
            with engine.connect() as other:
                other.execute(text("SELECT id FROM receipt WHERE id = :id FOR UPDATE"), {"id": held})
                attempt = recovery.process_with_retries(rt, held)
                with session_scope(rt.sessionmaker) as session:
                    report = ingest.process_receipt(session, rt, held)
                other.rollback()
        finally:
            engine.dispose()
        assert attempt.outcome is recovery.Outcome.BUSY
        assert report.status == ingest.BUSY
        assert receipt(rt, held).attempts == 0  # a skipped claim is not an attempt
    finally:
        rt.close()


def test_two_copies_of_one_file_processed_at_the_same_time_count_once(rt: Runtime) -> None:
    """The same interchange over two channels (file drop and HTTP), read by two workers at once:
    one copy is processed, the other is its duplicate, and nothing counts twice."""
    import_orders(rt)
    pairs = []
    with session_scope(rt.sessionmaker) as session:
        repo = ReceiptRepository(session)
        for n, path in enumerate(sample_files()):
            data = path.read_bytes()
            pairs.append(
                (
                    repo.add(id=f"a{n}", channel="filedrop", raw=data, received_at=NOW).id,
                    repo.add(id=f"b{n}", channel="http", raw=data, received_at=NOW).id,
                )
            )
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def work(ids: list[str]) -> None:
        try:
            for rid in ids:
                barrier.wait(timeout=120)
                with session_scope(rt.sessionmaker) as session:
                    ingest.process_receipt(session, rt, rid)
        except BaseException as error:
            errors.append(error)
            barrier.abort()  # the other thread stops too, instead of waiting for this one

    threads = [threading.Thread(target=work, args=([p[i] for p in pairs],)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for first, second in pairs:
        assert {receipt(rt, first).status, receipt(rt, second).status} == {
            db.ReceiptStatus.PROCESSED,
            db.ReceiptStatus.DUPLICATE,
        }
    with session_scope(rt.sessionmaker) as session:
        shipments = session.scalar(select(func.count()).select_from(db.Shipment))
        received = session.scalar(
            select(func.count()).select_from(db.OutboxEvent).where(db.OutboxEvent.type == "shipment.received")
        )
    assert (shipments, received) == (3, 3)  # one 856 per partner


def test_a_delivery_that_fails_is_retried_and_the_message_written_once_the_outbox_works(
    rt: Runtime,
) -> None:
    partner = rt.partners.get("borealis-plastics")
    assert partner.channels.filedrop is not None
    outbox = rt.settings.data_dir / partner.channels.filedrop.root / "outbox"
    outbox.parent.mkdir(parents=True, exist_ok=True)
    outbox.write_text("not a folder")  # a real fault: the outbox cannot be written
    import_orders(rt)
    with session_scope(rt.sessionmaker) as session:
        messages = session.scalars(
            select(db.OutboundMessage).where(db.OutboundMessage.partner_id == "borealis-plastics")
        ).all()
    assert messages
    assert {(m.status, m.attempts) for m in messages} == {(db.OutboundStatus.QUEUED, 1)}
    assert all(m.last_error and "file drop" in m.last_error for m in messages)

    outbox.unlink()
    advance(rt, 3600)
    report = recovery.sweep(rt)
    assert sorted(report.messages) == sorted(m.id for m in messages)
    with session_scope(rt.sessionmaker) as session:
        after = [session.get(db.OutboundMessage, m.id) for m in messages]
    for m in after:
        assert m is not None
        assert (m.status, m.attempts, m.delivered_at) == (db.OutboundStatus.WRITTEN, 2, rt.clock.now())
        assert m.path is not None
        assert Path(m.path).read_text() == m.content
    # A second run of the job (a duplicate, a replay of the queue) sends nothing again.
    assert delivery.deliver_with_retries(rt, after[0].id).outcome is delivery.Outcome.DONE  # type: ignore[union-attr]


def test_intake_stores_documents_while_redis_is_unreachable(
    fresh_database: NewDatabase, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path / "data", fresh_database(), redis_url="redis://127.0.0.1:1/0")
    rt = build_runtime(settings, clock=FixedClock(NOW))  # Redis down at startup: not fatal
    try:
        assert not rt.jobs.inline
        assert not rt.jobs.ping()
        rid = ingest.receive(rt, sample("borealis-plastics", "855_000002202.edi"), channel="test")
        row = receipt(rt, rid)
        assert row.status is db.ReceiptStatus.RECEIVED
        assert row.next_attempt_at == NOW + dt.timedelta(seconds=settings.jobs.stuck_after_s)
    finally:
        rt.close()
