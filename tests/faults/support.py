"""Real processes for the fault tests: a redis-server of the test's own, `gateway worker` and
`gateway serve` subprocesses, a TCP proxy that can cut PostgreSQL off, a fresh PostgreSQL database,
and ship notices made by the thousand."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import httpx
import psycopg
import pytest
import redis
from psycopg import sql
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from gateway.api.oauth import clients
from gateway.api.oauth.authority import Authority
from gateway.api.oauth.scopes import INTERNAL_SCOPES, SUPPLIER_SCOPES
from gateway.pipeline.runtime import Runtime
from gateway.store import migrate
from gateway.store import models as db
from gateway.store.session import session_scope
from gateway.worker import tasks  # noqa: F401  (registers the jobs intake queues)
from tests.api.auth import TEST_SECRET_KEY
from tests.db_fixtures import service_unavailable, unique_id

REPO_ROOT = Path(__file__).resolve().parents[2]
GATEWAY = Path(sys.executable).parent / "gateway"
WAIT_S = 240.0  # an upper bound to stop waiting (the work is done long before on a quiet machine)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(what: str, condition: Callable[[], bool], timeout: float = WAIT_S, every: float = 0.2) -> None:
    """Poll `condition` until it holds; fail naming `what` if it never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    pytest.fail(f"gave up waiting for {what} after {timeout:.0f} s")


# --------------------------------------------------------------------------------------- Redis


class RedisServer:
    """A redis-server on its own loopback port, no persistence: stopping it loses every queued job."""

    def __init__(self, directory: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            service_unavailable("redis-server", FileNotFoundError("redis-server is not installed"))
        self.binary = str(binary)
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                self.binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until("redis-server to answer", self.answers, timeout=30)

    def answers(self) -> bool:
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.process = None


# ----------------------------------------------------------------------------------- PostgreSQL


@contextlib.contextmanager
def fresh_postgres(server_url: str) -> Iterator[str]:
    """A new, migrated database on the test server; dropped afterwards."""
    admin = make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"gw_fault_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = (
        make_url(server_url)
        .set(drivername="postgresql+psycopg", database=name)
        .render_as_string(hide_password=False)
    )
    try:
        migrate.upgrade(url)
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


class TcpProxy:
    """A loopback TCP proxy in front of a server: `cut()` closes the listener and every connection
    (the server looks down to whoever goes through the proxy), `restore()` listens again."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    def restore(self) -> None:
        listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        listener.settimeout(0.2)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._lock:
            for s in list(self._sockets):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            client.settimeout(None)
            with self._lock:
                self._sockets |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


# ------------------------------------------------------------------------------------ processes


@dataclass
class Gateway:
    """`gateway` subprocesses sharing one configuration (environment variables)."""

    data_dir: Path
    database_url: str
    redis_url: str | None
    extra: dict[str, str] = field(default_factory=dict)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
        env.update(
            {
                "GATEWAY_DATA_DIR": str(self.data_dir),
                "GATEWAY_DATABASE_URL": self.database_url,
                "GATEWAY_PARTNERS_DIR": str(REPO_ROOT / "partners"),
                "GATEWAY_MAPS_DIR": str(REPO_ROOT / "edi_maps"),
                "GATEWAY_LOG_JSON": "true",
                "GATEWAY_OAUTH__SECRET_KEY": TEST_SECRET_KEY,
                **self.extra,
            }
        )
        if self.redis_url is not None:
            env["GATEWAY_REDIS_URL"] = self.redis_url
        return env

    def start(self, *args: str, name: str) -> subprocess.Popen[bytes]:
        with (self.data_dir / f"{name}.log").open("ab") as log:  # the child keeps its own descriptor
            process = subprocess.Popen([str(GATEWAY), *args], env=self.env(), stdout=log, stderr=log)
        self.processes.append(process)
        return process

    def worker(self, name: str) -> subprocess.Popen[bytes]:
        return self.start("worker", name=name)

    def serve(self, port: int, name: str) -> str:
        env_extra = {"GATEWAY_HOST": "127.0.0.1", "GATEWAY_PORT": str(port)}
        self.extra.update(env_extra)
        self.start("serve", name=name)
        base = f"http://127.0.0.1:{port}"

        def up() -> bool:
            try:
                return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(f"gateway serve on port {port}", up, timeout=60)
        return base

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# ------------------------------------------------------------------------------ ship notices

ACME_856 = (REPO_ROOT / "samples" / "x12" / "acme-fasteners" / "856_000000431.edi").read_text()
LOAD_POS = 20  # the notices are spread over this many POs, so workers correlate in parallel


def load_po(n: int) -> str:
    """The PO the n-th notice ships against."""
    return f"45009{n % LOAD_POS:05d}"


def load_orders() -> bytes:
    """An ERP export of the POs the notices ship against: Acme's three items on each, no plant (so
    no production pegging: these tests are about counting, not planning)."""
    lines = [
        {
            "line_number": str(i),
            "buyer_item": item,
            "quantity": "100000",
            "unit": "EA",
            "unit_price": "0.05",
            "requested_date": "2025-03-20",
        }
        for i, item in enumerate(("FST-1001", "FST-1002", "FST-1003"), start=1)
    ]
    orders = [
        {
            "po_number": load_po(k),
            "partner_id": "acme-fasteners",
            "currency": "USD",
            "order_date": "2025-03-03",
            "lines": lines,
        }
        for k in range(LOAD_POS)
    ]
    return json.dumps({"purchase_orders": orders}).encode()


def ship_notice(n: int) -> tuple[bytes, dict[tuple[str, str], Decimal]]:
    """The n-th ship notice (1-based) of Acme, for `load_po(n)`: its own interchange, group and set
    numbers and shipment id, small quantities on lines 1 to 3. Returns it with its quantity per
    (PO, line)."""
    po = load_po(n)
    quantities = {"1": Decimal(n % 7 + 1), "2": Decimal(n % 5 + 1), "3": Decimal(n % 3 + 1)}
    text = (
        ACME_856.replace("*000000431*", f"*{200000 + n:09d}*")
        .replace("IEA*1*000000431", f"IEA*1*{200000 + n:09d}")
        .replace("*431*X*", f"*{200000 + n}*X*")
        .replace("GE*1*431", f"GE*1*{200000 + n}")
        .replace("ST*856*0431", f"ST*856*{n:04d}")
        .replace("SE*23*0431", f"SE*23*{n:04d}")
        .replace("ACM-SH-20250314", f"ACM-LOAD-{n:05d}")
        .replace("PRF*4500001001", f"PRF*{po}")
        .replace("SN1*1*5000*EA", f"SN1*1*{quantities['1']}*EA")
        .replace("SN1*2*5000*EA", f"SN1*2*{quantities['2']}*EA")
        .replace("SN1*3*10000*EA", f"SN1*3*{quantities['3']}*EA")
    )
    return text.encode(), {(po, line): q for line, q in quantities.items()}


def shipped_by_line(session: Session) -> dict[tuple[str, str], Decimal]:
    """Shipped quantity per (PO, line) of the load POs, as the ledger has it."""
    rows = session.execute(
        select(
            db.PurchaseOrder.po_number,
            db.PurchaseOrderLine.line_number,
            db.PurchaseOrderLine.shipped_quantity,
        )
        .join(db.PurchaseOrder)
        .where(db.PurchaseOrder.po_number.startswith("45009"))
    ).all()
    return {(po, line): quantity for po, line, quantity in rows}


def admin_headers(rt: Runtime, base: str, *, partner_id: str | None = None) -> dict[str, str]:
    """A bearer token of a new internal admin client (every internal scope), or with `partner_id`
    of a client of that supplier (every supplier scope), from the token endpoint of the
    `gateway serve` process at `base`. `rt` must share its database and its
    `GATEWAY_OAUTH__SECRET_KEY` (`TEST_SECRET_KEY`)."""
    authority = Authority.from_settings(rt.settings)
    with session_scope(rt.sessionmaker) as session:
        row, secret = clients.create(
            session,
            authority,
            rt.partners,
            partner_id=partner_id,
            role=None if partner_id else "admin",
            scopes=sorted(SUPPLIER_SCOPES if partner_id else INTERNAL_SCOPES),
            client_id=unique_id(partner_id or "ops"),
            now=rt.clock.now(),
        )
        client_id = row.client_id
    assert secret is not None
    response = httpx.post(
        f"{base}/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret), timeout=30
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
