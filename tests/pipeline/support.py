"""What the pipeline and end-to-end tests share: fresh databases, a runtime on a fixed clock, the
samples in arrival order, and small read-only queries of the store.

`fresh_database` gives a factory of brand-new database URLs, parametrised over SQLite (a file in the
test's tmp dir) and PostgreSQL (a database created for the test and dropped after it), so every test
starts from an empty schema and tests never see each other's rows.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from gateway.kit.clock import FixedClock
from gateway.pipeline import erp, ingest, views
from gateway.pipeline.runtime import Runtime, build_runtime
from gateway.settings import Settings
from gateway.store import models as db
from gateway.store.session import session_scope
from gateway.worker import tasks  # noqa: F401  (registers ingest.process_receipt)

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLES = REPO_ROOT / "samples"
PARTNERS_DIR = REPO_ROOT / "partners"
MAPS_DIR = REPO_ROOT / "edi_maps"
NOW = dt.datetime(2025, 3, 5, 15, 0, tzinfo=dt.UTC)
ARRIVAL_ORDER = ("997", "855", "856")

NewDatabase = Callable[[], str]


def sample_files() -> list[Path]:
    """Every sample interchange, 997s first, then 855s, then 856s (partner by partner)."""
    files = sorted((SAMPLES / "x12").glob("*/*.edi"))
    return sorted(files, key=lambda p: (ARRIVAL_ORDER.index(p.name[:3]), p.parent.name, p.name))


def sample(partner: str, name: str) -> bytes:
    return (SAMPLES / "x12" / partner / name).read_bytes()


def settings_for(data_dir: Path, database_url: str, redis_url: str | None = None) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        redis_url=redis_url,
        partners_dir=PARTNERS_DIR,
        maps_dir=MAPS_DIR,
    )


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[NewDatabase]:
    """A factory of empty database URLs (schema applied by `build_runtime`), dropped after the test."""
    created: list[str] = []
    admin: str | None = None
    if request.param == "postgres":
        server: str = request.getfixturevalue("postgres_server_url")
        admin = _libpq(server)

    def new() -> str:
        name = f"gw_e2e_{uuid.uuid4().hex[:16]}"
        if admin is None:
            return f"sqlite:///{(tmp_path / f'{name}.db').as_posix()}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        created.append(name)
        url = make_url(request.getfixturevalue("postgres_server_url")).set(
            drivername="postgresql+psycopg", database=name
        )
        return url.render_as_string(hide_password=False)

    yield new
    if admin is not None:
        with psycopg.connect(admin, autocommit=True) as conn:
            for name in created:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def runtime(fresh_database: NewDatabase, tmp_path: Path) -> Iterator[Runtime]:
    """A runtime on a fresh database, inline jobs and a fixed clock; closed after the test."""
    rt = build_runtime(settings_for(tmp_path / "data", fresh_database()), clock=FixedClock(NOW))
    try:
        yield rt
    finally:
        rt.close()


def import_orders(rt: Runtime, *, send: bool = True) -> erp.ImportReport:
    """The sample ERP export, imported (with `send`, an 850 per PO goes to its supplier's outbox)."""
    with session_scope(rt.sessionmaker) as session:
        return erp.import_erp(
            session, rt, erp.parse((SAMPLES / "erp" / "orders.json").read_bytes()), send=send
        )


def receive_samples(rt: Runtime) -> list[str]:
    """Every sample file received (processed inline or queued); the receipt ids in arrival order."""
    return [
        ingest.receive(rt, path.read_bytes(), channel="test", file_name=path.name) for path in sample_files()
    ]


# ------------------------------------------------------------------------------ read-only queries


@dataclass(frozen=True)
class Counts:
    receipts: int
    documents: int
    events: int
    outbound: int
    cases: int
    commitments: int
    shipments: int


def counts(rt: Runtime) -> Counts:
    def n(model: type[db.Base]) -> int:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)

    with session_scope(rt.sessionmaker) as session:
        return Counts(
            receipts=n(db.Receipt),
            documents=n(db.Document),
            events=n(db.OutboxEvent),
            outbound=n(db.OutboundMessage),
            cases=n(db.ExceptionCase),
            commitments=n(db.Commitment),
            shipments=n(db.Shipment),
        )


def receipt_view(rt: Runtime, receipt_id: str) -> views.ReceiptView:
    with session_scope(rt.sessionmaker) as session:
        return views.receipt(session, receipt_id)


def open_cases(rt: Runtime) -> list[views.CaseView]:
    with session_scope(rt.sessionmaker) as session:
        return views.open_cases(session)


def ledger(rt: Runtime) -> list[views.LineView]:
    with session_scope(rt.sessionmaker) as session:
        return views.ledger_lines(session)


def case_keys(rt: Runtime) -> set[tuple[str, str | None, str | None]]:
    return {(c.type, c.po_number, c.line_number) for c in open_cases(rt)}
