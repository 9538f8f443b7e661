"""Benchmark of the gateway at scale, on this machine's PostgreSQL and a redis-server of its own:

- end-to-end ingest with one and with two `gateway worker` processes: documents per second
  draining a backlog of Acme ship notices (each one correlated, and acknowledged with a 997 written
  to the partner's outbox: from the first processed to the last acknowledged), then, with the
  queue empty, the latency from receipt to correlation (p50, p99) of notices fed at half that rate;
- the supplier API's purchase-order listing (`GET /v1/supplier/purchase-orders` with Acme's
  token) under load on loopback with `wrk` (Debian's package; a Python load
  generator when wrk is missing), beside a bare FastAPI endpoint served the same way (one uvicorn
  process), so the ratio shows the gateway's own cost.

    python -m bench.scale_bench [--documents 1000] [--json]

Every figure depends on the machine and on what else runs on it: the load average is printed
beside each; measure on a quiet machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy import func, select

from gateway.pipeline import erp, ingest
from gateway.pipeline.runtime import Runtime, build_runtime
from gateway.settings import JobSettings, OAuthSettings, Settings
from gateway.store import models as db
from gateway.store.session import session_scope
from tests.api.auth import TEST_SECRET_KEY
from tests.faults.support import (
    REPO_ROOT,
    Gateway,
    RedisServer,
    admin_headers,
    free_port,
    fresh_postgres,
    load_orders,
    ship_notice,
    wait_until,
)

POSTGRES_URL = os.environ.get(
    "GATEWAY_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
# The bare endpoint answers the very body the gateway's listing answered (read once from a file),
# so both serialise the same JSON and the difference is the gateway's own work.
BARE_APP = """
import json, sys
import uvicorn
from fastapi import FastAPI

app = FastAPI()
BODY = json.loads(open(sys.argv[1]).read())


@app.get("/bare")
def bare() -> dict:
    return BODY


uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


def load_average() -> float:
    return os.getloadavg()[0]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _runtime(gw: Gateway) -> Runtime:
    settings = Settings(
        data_dir=gw.data_dir,
        database_url=gw.database_url,
        redis_url=gw.redis_url,
        partners_dir=REPO_ROOT / "partners",
        maps_dir=REPO_ROOT / "edi_maps",
        jobs=JobSettings(),
        oauth=OAuthSettings(secret_key=SecretStr(TEST_SECRET_KEY)),
    )
    return build_runtime(settings, upgrade=False)


def _processed(rt: Runtime) -> int:
    with session_scope(rt.sessionmaker) as session:
        query = (
            select(func.count())
            .select_from(db.Receipt)
            .where(db.Receipt.status == db.ReceiptStatus.PROCESSED)
        )
        return int(session.scalar(query) or 0)


def _undelivered(rt: Runtime) -> int:
    with session_scope(rt.sessionmaker) as session:
        waiting = select(func.count()).select_from(db.OutboundMessage)
        return int(session.scalar(waiting.where(db.OutboundMessage.delivered_at.is_(None))) or 0)


def ingest_run(workers: int, documents: int, workdir: Path) -> dict[str, Any]:
    """Drain a backlog of `documents` notices with `workers` processes, then a paced feed."""
    redis_server = RedisServer(workdir / "redis")
    redis_server.start()
    try:
        with fresh_postgres(POSTGRES_URL) as url:
            gw = Gateway(workdir / "data", url, redis_server.url, extra={"GATEWAY_LOG_JSON": "false"})
            gw.data_dir.mkdir(parents=True)
            rt = _runtime(gw)
            try:
                with session_scope(rt.sessionmaker) as session:
                    erp.import_erp(session, rt, erp.parse(load_orders()), send=False)
                load_before = load_average()
                backlog = [
                    ingest.receive(rt, ship_notice(n)[0], channel="bench") for n in range(1, documents + 1)
                ]
                for i in range(workers):
                    gw.worker(f"worker-{i}")
                wait_until("the backlog processed", lambda: _processed(rt) == documents, timeout=3600)
                wait_until("the acknowledgements delivered", lambda: _undelivered(rt) == 0, timeout=3600)
                with session_scope(rt.sessionmaker) as session:
                    first, last = session.execute(
                        select(func.min(db.Receipt.processed_at), func.max(db.Receipt.processed_at)).where(
                            db.Receipt.id.in_(backlog)
                        )
                    ).one()
                    delivered = session.scalar(select(func.max(db.OutboundMessage.delivered_at)))
                assert first is not None
                assert last is not None
                # From the first receipt processed to the last one processed and acknowledged.
                end = max(last, delivered) if delivered is not None else last
                rate = (documents - 1) / max((end - first).total_seconds(), 1e-9)
                # Latency: a steady feed at half the backlog rate, for about 20 seconds.
                paced = max(int(rate * 0.5 * 20), 20)
                interval = 1 / (rate * 0.5)
                start = time.monotonic()
                fed = []
                for k in range(paced):
                    delay = start + k * interval - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    fed.append(ingest.receive(rt, ship_notice(documents + 1 + k)[0], channel="bench"))
                wait_until(
                    "the paced feed processed", lambda: _processed(rt) == documents + paced, timeout=3600
                )
                with session_scope(rt.sessionmaker) as session:
                    rows = session.execute(
                        select(db.Receipt.received_at, db.Receipt.processed_at).where(db.Receipt.id.in_(fed))
                    ).all()
                latencies = [(done - got).total_seconds() for got, done in rows if done is not None]
                return {
                    "workers": workers,
                    "documents": documents,
                    "documents_per_s": round(rate, 1),
                    "paced_documents": paced,
                    "paced_rate_per_s": round(rate * 0.5, 1),
                    "latency_p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
                    "latency_p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
                    "load_average_before": round(load_before, 2),
                }
            finally:
                gw.stop_all()
                rt.close()
    finally:
        redis_server.stop()


def _wrk(url: str, seconds: int, connections: int, headers: dict[str, str]) -> dict[str, float]:
    flags = [arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")]
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", *flags, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _wrk_ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1))  # type: ignore[union-attr]
    p99 = _wrk_ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests_per_s": rps,
        "p50_ms": p50,
        "p99_ms": p99,
        "non_2xx": float(errors.group(1)) if errors else 0.0,
    }


def _wrk_ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _python_load(url: str, seconds: int, connections: int, headers: dict[str, str]) -> dict[str, float]:
    """A bounded asyncio load generator (httpx), for machines without wrk."""

    async def run() -> tuple[int, list[float], int]:
        latencies: list[float] = []
        errors = 0
        deadline = time.monotonic() + seconds
        limits = httpx.Limits(max_connections=connections)
        async with httpx.AsyncClient(limits=limits, headers=headers) as client:

            async def loop() -> None:
                nonlocal errors
                while time.monotonic() < deadline:
                    t = time.perf_counter()
                    response = await client.get(url)
                    latencies.append(time.perf_counter() - t)
                    errors += response.status_code >= 400

            await asyncio.gather(*(loop() for _ in range(connections)))
        return len(latencies), latencies, errors

    count, latencies, errors = asyncio.run(run())
    return {
        "requests_per_s": count / seconds,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "non_2xx": float(errors),
    }


def api_run(workdir: Path, seconds: int, connections: int) -> dict[str, Any]:
    """The PO listing against a bare FastAPI endpoint, one uvicorn process each."""
    tool = "wrk" if shutil.which("wrk") else "python (httpx, asyncio)"
    measure = _wrk if shutil.which("wrk") else _python_load
    with fresh_postgres(POSTGRES_URL) as url:
        # The per-client rate limit raised out of the way: the limiter still runs on every request.
        unlimited = {
            "GATEWAY_API__RATE_LIMIT_PER_MINUTE": "100000000",
            "GATEWAY_API__RATE_LIMIT_BURST": "1000000",
        }
        gw = Gateway(workdir / "api-data", url, None, extra={"GATEWAY_LOG_JSON": "false", **unlimited})
        gw.data_dir.mkdir(parents=True)
        rt = _runtime(gw)
        bare_port = free_port()
        bare: subprocess.Popen[bytes] | None = None
        try:
            with session_scope(rt.sessionmaker) as session:
                erp.import_erp(session, rt, erp.parse(load_orders()), send=False)
            for n in range(1, 101):  # some ledgers to show
                ingest.receive(rt, ship_notice(n)[0], channel="bench")
            base = gw.serve(free_port(), name="api")
            # The supplier API's listing, as Acme's client sees it (its token: orders:read).
            listing = f"{base}/v1/supplier/purchase-orders"
            auth = admin_headers(rt, base, partner_id="acme-fasteners")
            body = httpx.get(listing, headers=auth, timeout=10)
            assert body.json()["items"], "the listing is empty"
            (workdir / "body.json").write_bytes(body.content)
            bare = subprocess.Popen(
                [sys.executable, "-c", BARE_APP, str(workdir / "body.json"), str(bare_port)]
            )
            wait_until("the bare app", lambda: _answers(f"http://127.0.0.1:{bare_port}/bare"), timeout=60)
            load = round(load_average(), 2)
            gateway = measure(listing, seconds, connections, auth)
            bare_result = measure(f"http://127.0.0.1:{bare_port}/bare", seconds, connections, auth)
            return {
                "tool": tool,
                "connections": connections,
                "seconds": seconds,
                "endpoint": "GET /v1/supplier/purchase-orders (Acme's token: its 20 POs)",
                "gateway": gateway,
                "bare_fastapi": bare_result,
                "ratio_rps": round(bare_result["requests_per_s"] / max(gateway["requests_per_s"], 1e-9), 1),
                "load_average_before": load,
            }
        finally:
            if bare is not None:
                bare.terminate()
                bare.wait()
            gw.stop_all()
            rt.close()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="gateway-scale-bench-") as tmp:
        workdir = Path(tmp)
        report: dict[str, Any] = {
            "uptime": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
            "ingest": [ingest_run(w, args.documents, workdir / f"ingest-{w}") for w in (1, 2)],
            "api": api_run(workdir, args.seconds, args.connections),
        }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"machine: {report['uptime']}")
    print("end-to-end ingest on PostgreSQL + Redis (Acme 856s, each correlated and acknowledged):")
    for r in report["ingest"]:
        print(
            f"  {r['workers']} worker(s): {r['documents_per_s']} documents/s draining {r['documents']}; "
            f"at {r['paced_rate_per_s']}/s receipt→correlation p50 {r['latency_p50_ms']} ms, "
            f"p99 {r['latency_p99_ms']} ms (load before {r['load_average_before']})"
        )
    api = report["api"]
    print(f"API under load ({api['tool']}, {api['connections']} connections, {api['seconds']} s each):")
    for name in ("gateway", "bare_fastapi"):
        r = api[name]
        rps, p50, p99 = r["requests_per_s"], r["p50_ms"], r["p99_ms"]
        print(f"  {name:13s} {rps:8.1f} req/s  p50 {p50:.1f} ms  p99 {p99:.1f} ms")
    print(f"  {api['endpoint']}: the bare endpoint serves {api['ratio_rps']}x as many requests")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
