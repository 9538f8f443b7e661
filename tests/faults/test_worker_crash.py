"""A worker killed with SIGKILL in the middle of 1,000 ship notices: every document ends processed
exactly once, and the events and shipped quantities are exact.

Real processes: two `gateway worker` subprocesses on PostgreSQL and a redis-server of the test's
own; one is killed while it works, a third is started; intake runs in the test process and queues
every receipt on Redis.
"""

from __future__ import annotations

import signal
import time
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gateway.pipeline import erp, ingest
from gateway.pipeline.runtime import build_runtime
from gateway.settings import JobSettings, Settings
from gateway.store import models as db
from gateway.store.session import session_scope
from tests.faults.support import (
    REPO_ROOT,
    Gateway,
    RedisServer,
    fresh_postgres,
    load_orders,
    ship_notice,
    shipped_by_line,
    wait_until,
)

DOCUMENTS = 1000
STUCK_AFTER_S = 3

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]


def test_a_worker_killed_mid_run_loses_nothing_and_doubles_nothing(
    postgres_server_url: str, tmp_path: Path
) -> None:
    redis_server = RedisServer(tmp_path / "redis")
    redis_server.start()
    try:
        with fresh_postgres(postgres_server_url) as url:
            run(url, redis_server, tmp_path)
    finally:
        redis_server.stop()


def run(url: str, redis_server: RedisServer, tmp_path: Path) -> None:
    jobs = {"GATEWAY_JOBS__STUCK_AFTER_S": str(STUCK_AFTER_S), "GATEWAY_JOBS__BACKOFF_BASE_S": "0.5"}
    gw = Gateway(tmp_path / "data", url, redis_server.url, extra=jobs)
    gw.data_dir.mkdir(parents=True)
    settings = Settings(
        data_dir=gw.data_dir,
        database_url=url,
        redis_url=redis_server.url,
        partners_dir=REPO_ROOT / "partners",
        maps_dir=REPO_ROOT / "edi_maps",
        jobs=JobSettings(stuck_after_s=STUCK_AFTER_S, backoff_base_s=0.5),
    )
    rt = build_runtime(settings, upgrade=False)
    try:
        with session_scope(rt.sessionmaker) as session:
            erp.import_erp(session, rt, erp.parse(load_orders()), send=True)
        expected: dict[tuple[str, str], Decimal] = {}
        receipts = []
        for n in range(1, DOCUMENTS + 1):
            data, quantities = ship_notice(n)
            for key, quantity in quantities.items():
                expected[key] = expected.get(key, Decimal(0)) + quantity
            receipts.append(ingest.receive(rt, data, channel="filedrop", file_name=f"856_{n:05d}.edi"))

        def processed() -> int:
            with session_scope(rt.sessionmaker) as session:
                query = (
                    select(func.count())
                    .select_from(db.Receipt)
                    .where(db.Receipt.status == db.ReceiptStatus.PROCESSED)
                )
                return int(session.scalar(query) or 0)

        killed = gw.worker("worker-a")
        gw.worker("worker-b")
        wait_until("a third of the documents processed", lambda: processed() >= DOCUMENTS // 3)
        killed.send_signal(signal.SIGKILL)
        killed.wait()
        at_kill = processed()
        # Whatever the killed worker held is due again after the lease; a new worker sweeps it at start.
        time.sleep(STUCK_AFTER_S + 1)
        gw.worker("worker-c")
        wait_until("every document processed", lambda: processed() == DOCUMENTS)

        def delivered() -> bool:
            with session_scope(rt.sessionmaker) as session:
                waiting = (
                    select(func.count())
                    .select_from(db.OutboundMessage)
                    .where(db.OutboundMessage.delivered_at.is_(None))
                )
                return session.scalar(waiting) == 0

        wait_until("every acknowledgement delivered", delivered)
        gw.stop_all()
        check(rt, receipts, expected)
        assert at_kill < DOCUMENTS  # the kill came while there was work left
    finally:
        gw.stop_all()
        rt.close()


def check(rt: object, receipts: list[str], expected: dict[tuple[str, str], Decimal]) -> None:
    from gateway.pipeline.runtime import Runtime

    assert isinstance(rt, Runtime)
    with session_scope(rt.sessionmaker) as session:
        statuses = dict(
            session.execute(select(db.Receipt.status, func.count()).group_by(db.Receipt.status)).all()
        )
        assert statuses == {db.ReceiptStatus.PROCESSED: DOCUMENTS}
        documents = dict(
            session.execute(select(db.Document.status, func.count()).group_by(db.Document.status)).all()
        )
        assert documents == {db.DocumentStatus.CORRELATED: DOCUMENTS}
        # One shipment.received event per document, none twice.
        per_document = session.execute(
            select(db.OutboxEvent.document_id, func.count())
            .where(db.OutboxEvent.type == "shipment.received")
            .group_by(db.OutboxEvent.document_id)
        ).all()
        assert len(per_document) == DOCUMENTS
        assert {n for _, n in per_document} == {1}
        assert session.scalar(select(func.count()).select_from(db.Shipment)) == DOCUMENTS
        assert shipped_by_line(session) == expected
        # Each receipt was stored once and correlated once; each got exactly one 997.
        steps = dict(
            session.execute(
                select(db.ProcessingStep.stage, func.count())
                .where(db.ProcessingStep.status == db.StepStatus.OK)
                .group_by(db.ProcessingStep.stage)
            ).all()
        )
        assert steps[db.Stage.RECEIVED] == DOCUMENTS
        assert steps[db.Stage.CORRELATED] == DOCUMENTS
        acks = session.scalar(
            select(func.count()).select_from(db.OutboundMessage).where(db.OutboundMessage.kind == "997")
        )
        assert acks == DOCUMENTS
        assert session.scalar(select(func.count()).select_from(db.DeadLetter)) == 0
        again = session.scalar(select(func.count()).select_from(db.Receipt).where(db.Receipt.attempts > 1))
        print(f"receipts processed on a second attempt (the killed worker held them): {again}")
