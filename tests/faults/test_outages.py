"""Redis and PostgreSQL going away, with real processes.

- Redis stopped (a redis-server the test started on its own port): intake keeps accepting and
  storing documents, `/readyz` says why it is not ready, and once Redis is back (empty: the queued
  jobs died with it) a worker's recovery sweep finds every stored receipt and processes it.
- PostgreSQL unreachable (a TCP proxy in front of it is cut): the API answers 503 problem+json
  with `Retry-After`, changes nothing, and answers again once the database is back.
- PostgreSQL unreachable while `gateway channels watch` picks up the file drop: the file stays in
  the inbox, and is stored and processed once the database is back; the same interchange by
  another channel (`gateway ingest`) is then a duplicate.
- Several API and worker processes: `/metrics` of every API process counts the work of all.
"""

from __future__ import annotations

import subprocess
import time
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from gateway.pipeline import erp, ingest
from gateway.pipeline.runtime import Runtime, build_runtime
from gateway.settings import JobSettings, OAuthSettings, Settings
from gateway.store import models as db
from gateway.store.session import session_scope
from tests.api.auth import TEST_SECRET_KEY
from tests.api.test_operations import metric
from tests.faults.support import (
    GATEWAY,
    REPO_ROOT,
    Gateway,
    RedisServer,
    TcpProxy,
    admin_headers,
    free_port,
    fresh_postgres,
    load_orders,
    ship_notice,
    shipped_by_line,
    wait_until,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]


def runtime_for(gw: Gateway, *, stuck_after_s: float) -> Runtime:
    settings = Settings(
        data_dir=gw.data_dir,
        database_url=gw.database_url,
        redis_url=gw.redis_url,
        partners_dir=REPO_ROOT / "partners",
        maps_dir=REPO_ROOT / "edi_maps",
        jobs=JobSettings(stuck_after_s=stuck_after_s, backoff_base_s=0.5),
        oauth=OAuthSettings(secret_key=SecretStr(TEST_SECRET_KEY)),
    )
    return build_runtime(settings, upgrade=False)


def count(rt: Runtime, status: db.ReceiptStatus) -> int:
    with session_scope(rt.sessionmaker) as session:
        query = select(func.count()).select_from(db.Receipt).where(db.Receipt.status == status)
        return int(session.scalar(query) or 0)


def shipped(rt: Runtime) -> dict[tuple[str, str], Decimal]:
    with session_scope(rt.sessionmaker) as session:
        return shipped_by_line(session)


def test_intake_stores_documents_while_redis_is_down_and_they_are_processed_when_it_is_back(
    postgres_server_url: str, tmp_path: Path
) -> None:
    redis_server = RedisServer(tmp_path / "redis")
    redis_server.start()
    with fresh_postgres(postgres_server_url) as url:
        gw = Gateway(tmp_path / "data", url, redis_server.url, extra={"GATEWAY_JOBS__STUCK_AFTER_S": "0"})
        gw.data_dir.mkdir(parents=True)
        rt = runtime_for(gw, stuck_after_s=0)
        try:
            with session_scope(rt.sessionmaker) as session:
                erp.import_erp(session, rt, erp.parse(load_orders()), send=True)
            api = gw.serve(free_port(), name="api")
            expected: dict[tuple[str, str], Decimal] = {}
            sent: dict[str, bytes] = {}

            def feed(numbers: range) -> None:
                for n in numbers:
                    data, quantities = ship_notice(n)
                    for key, quantity in quantities.items():
                        expected[key] = expected.get(key, Decimal(0)) + quantity
                    sent[ingest.receive(rt, data, channel="filedrop", file_name=f"856_{n}.edi")] = data

            feed(range(1, 21))  # queued on Redis; no worker runs yet
            redis_server.stop()
            ready = httpx.get(f"{api}/readyz", timeout=30)
            assert ready.status_code == 503
            assert ready.headers["content-type"] == "application/problem+json"
            assert ready.headers["retry-after"] == "5"
            assert "Redis" in ready.json()["detail"]
            assert httpx.get(f"{api}/healthz", timeout=10).status_code == 200

            feed(range(21, 41))  # Redis down: stored all the same
            with session_scope(rt.sessionmaker) as session:
                stored = {r.id: r.raw for r in session.scalars(select(db.Receipt))}
            assert stored == sent  # every byte kept
            assert count(rt, db.ReceiptStatus.RECEIVED) == 40

            redis_server.start()  # empty: the first twenty jobs were lost with it
            wait_until(
                "the API ready again", lambda: httpx.get(f"{api}/readyz", timeout=10).status_code == 200
            )
            gw.worker("worker")  # its start-up sweep queues every receipt still waiting
            wait_until("every receipt processed", lambda: count(rt, db.ReceiptStatus.PROCESSED) == 40)
            assert shipped(rt) == expected
            with session_scope(rt.sessionmaker) as session:
                events = session.scalar(
                    select(func.count())
                    .select_from(db.OutboxEvent)
                    .where(db.OutboxEvent.type == "shipment.received")
                )
            assert events == 40
        finally:
            gw.stop_all()
            rt.close()
            redis_server.stop()


def test_the_api_answers_503_with_retry_after_while_postgres_is_unreachable(
    postgres_server_url: str, tmp_path: Path
) -> None:
    with fresh_postgres(postgres_server_url) as url:
        target = make_url(url)
        proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
        proxy.restore()
        proxied = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        gw = Gateway(tmp_path / "data", proxied, None)
        gw.data_dir.mkdir(parents=True)
        order = {
            "po_number": "4500009001",
            "partner_id": "acme-fasteners",
            "order_date": "2025-03-01",
            "currency": "USD",
            "lines": [
                {
                    "line_number": "1",
                    "buyer_item": "FST-1001",
                    "quantity": "10",
                    "unit": "EA",
                    "unit_price": "0.5",
                    "requested_date": "2025-03-20",
                }
            ],
        }
        rt = runtime_for(Gateway(gw.data_dir, url, None), stuck_after_s=300)
        try:
            api = gw.serve(free_port(), name="api")
            auth = admin_headers(rt, api)
            assert httpx.get(f"{api}/v1/purchase-orders", headers=auth, timeout=10).status_code == 200
            proxy.cut()
            for method, path in (("GET", "/v1/purchase-orders"), ("GET", "/v1/exceptions")):
                response = httpx.request(method, f"{api}{path}", headers=auth, timeout=30)
                assert response.status_code == 503, response.text
                assert response.headers["content-type"] == "application/problem+json"
                assert response.headers["retry-after"] == "5"
                assert response.json()["type"] == "/problems/unavailable"
            refused = httpx.post(f"{api}/v1/purchase-orders?send=false", json=order, headers=auth, timeout=30)
            assert refused.status_code == 503
            assert httpx.get(f"{api}/healthz", timeout=10).status_code == 200
            assert httpx.get(f"{api}/readyz", timeout=30).status_code == 503

            proxy.restore()
            wait_until(
                "the API answering again",
                lambda: httpx.get(f"{api}/v1/purchase-orders", headers=auth, timeout=10).status_code == 200,
            )
            # The client retries after Retry-After: the order is stored once, nothing was half-written.
            accepted = httpx.post(
                f"{api}/v1/purchase-orders?send=false", json=order, headers=auth, timeout=30
            )
            assert accepted.status_code == 202, accepted.text
            listed = httpx.get(f"{api}/v1/purchase-orders", headers=auth, timeout=10).json()
            assert [po["po_number"] for po in listed["items"]] == ["4500009001"]
        finally:
            gw.stop_all()
            proxy.cut()
            rt.close()


def test_metrics_of_every_api_process_count_the_work_of_every_worker(
    postgres_server_url: str, tmp_path: Path
) -> None:
    redis_server = RedisServer(tmp_path / "redis")
    redis_server.start()
    multiproc = tmp_path / "prometheus"
    multiproc.mkdir()
    with fresh_postgres(postgres_server_url) as url:
        gw = Gateway(
            tmp_path / "data", url, redis_server.url, extra={"PROMETHEUS_MULTIPROC_DIR": str(multiproc)}
        )
        gw.data_dir.mkdir(parents=True)
        rt = runtime_for(gw, stuck_after_s=300)
        try:
            with session_scope(rt.sessionmaker) as session:
                erp.import_erp(session, rt, erp.parse(load_orders()), send=False)
            apis = [gw.serve(free_port(), name=f"api-{i}") for i in (1, 2)]
            worker_metrics = free_port()
            gw.extra["GATEWAY_METRICS_PORT"] = str(worker_metrics)
            gw.worker("worker-1")  # serves its own /metrics too
            del gw.extra["GATEWAY_METRICS_PORT"]
            gw.worker("worker-2")
            for n in range(1, 31):
                ingest.receive(rt, ship_notice(n)[0], channel="filedrop", file_name=f"856_{n}.edi")
            wait_until("every receipt processed", lambda: count(rt, db.ReceiptStatus.PROCESSED) == 30)
            time.sleep(0.5)  # the counters are written after each commit
            for api in apis:
                text = httpx.get(f"{api}/metrics", timeout=30).text
                assert metric(text, "gateway_receipts_processed_total", status="processed") == 30
                assert metric(text, "gateway_processing_latency_seconds_count", format="x12") == 30
                labels = {"direction": "inbound", "partner": "acme-fasteners", "format": "x12", "type": "856"}
                assert metric(text, "gateway_documents", status="correlated", **labels) == 30
                assert metric(text, "gateway_backlog", kind="receipt") == 0
            # A worker's own endpoint: the in-process counters of every local process.
            text = httpx.get(f"http://127.0.0.1:{worker_metrics}/metrics", timeout=30).text
            assert metric(text, "gateway_receipts_processed_total", status="processed") == 30
        finally:
            gw.stop_all()
            rt.close()
            redis_server.stop()


def test_file_drop_keeps_the_file_while_postgres_is_down_and_a_copy_by_another_channel_is_a_duplicate(
    postgres_server_url: str, tmp_path: Path
) -> None:
    with fresh_postgres(postgres_server_url) as url:
        target = make_url(url)
        proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
        proxy.restore()
        proxied = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        watch = {"GATEWAY_FILEDROP__SETTLE_S": "0", "GATEWAY_FILEDROP__INTERVAL_S": "0.5"}
        gw = Gateway(tmp_path / "data", proxied, None, extra=watch)
        gw.data_dir.mkdir(parents=True)
        direct = Gateway(tmp_path / "data", url, None)  # the test's own view of the database
        rt = runtime_for(direct, stuck_after_s=300)
        inbox = gw.data_dir / "filedrop" / "acme-fasteners" / "inbox"
        archive = inbox.parent / "archive"
        data, _ = ship_notice(7)
        try:
            with session_scope(rt.sessionmaker) as session:
                erp.import_erp(session, rt, erp.parse(load_orders()), send=False)
            gw.start("channels", "watch", name="channels")
            wait_until("the file drop mailboxes", inbox.is_dir, timeout=60)
            proxy.cut()
            (inbox / ".856.part").write_bytes(data)
            (inbox / ".856.part").rename(inbox / "856_load_7.edi")
            time.sleep(3)  # several sweeps, each finding the database unreachable
            assert [p.name for p in inbox.iterdir()] == ["856_load_7.edi"]
            assert (inbox / "856_load_7.edi").read_bytes() == data
            assert count(rt, db.ReceiptStatus.PROCESSED) + count(rt, db.ReceiptStatus.RECEIVED) == 0

            proxy.restore()
            wait_until("the file archived", lambda: archive.is_dir() and any(archive.iterdir()))
            wait_until("the receipt processed", lambda: count(rt, db.ReceiptStatus.PROCESSED) == 1)
            assert list(inbox.iterdir()) == []

            # The same interchange again, by another channel (the CLI): recorded as a duplicate.
            copy = tmp_path / "856_again.edi"
            copy.write_bytes(data)
            gw.stop_all()
            cli = subprocess.run(
                [str(GATEWAY), "ingest", str(copy), "--json"],
                env=direct.env(),
                capture_output=True,
                timeout=120,
            )
            assert cli.returncode == 0, cli.stderr
            assert count(rt, db.ReceiptStatus.DUPLICATE) == 1
            with session_scope(rt.sessionmaker) as session:
                channels = {r.channel: r.status for r in session.scalars(select(db.Receipt))}
                events = session.scalar(
                    select(func.count())
                    .select_from(db.OutboxEvent)
                    .where(db.OutboxEvent.type == "shipment.received")
                )
            assert channels == {"filedrop": db.ReceiptStatus.PROCESSED, "cli": db.ReceiptStatus.DUPLICATE}
            assert events == 1
        finally:
            gw.stop_all()
            proxy.cut()
            rt.close()
