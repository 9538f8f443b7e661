"""Database and queue fixtures: real SQLite, PostgreSQL and Redis, no mocks.

- `sqlite_url`: a fresh, migrated SQLite file per test (copied from one migrated template).
- `postgres_url`: one database per xdist worker and run (`gw_test_<worker>_<pid>`) on the server of
  `GATEWAY_TEST_POSTGRES_URL` (default `postgresql+psycopg://postgres@127.0.0.1:5432/test`),
  migrated once, dropped at the end. Data committed by one test stays for the next: tests that
  commit use their own keys (`unique_id()`), the others use `session`.
- `db_url`: parametrised over both ("sqlite", "postgres"; the latter marked `postgres`).
- `engine`, `session_factory`: built on `db_url`, disposed after the test.
- `session`: a session inside an outer transaction rolled back at the end (its own commits are
  savepoints), so nothing it writes outlives the test.
- `redis_url`: `GATEWAY_TEST_REDIS_URL` (default `redis://127.0.0.1:6379/15`). Test runs share
  that Redis database (xdist workers, other people's runs), so instead of FLUSHDB each test works
  under its own `redis_token` (in `queue_name` and in its job ids) and every key containing the
  token is deleted afterwards.

A service that cannot be reached skips its tests locally and FAILS them under `CI=true`.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis
from psycopg import sql
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from gateway.store import migrate
from gateway.store.session import make_engine, make_sessionmaker

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


def unique_id(prefix: str = "t") -> str:
    """A key no other test (or test run) uses: for partners, POs, jobs in shared services."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def service_unavailable(what: str, error: BaseException) -> None:
    message = f"{what} is not reachable ({type(error).__name__}: {error})"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message}; under CI=true the real services are required", pytrace=False)
    pytest.skip(message)


def _worker_name(config: pytest.Config) -> str:
    workerinput = getattr(config, "workerinput", None)
    worker = workerinput["workerid"] if workerinput else "main"
    return f"{worker}_{os.getpid()}"


# ------------------------------------------------------------------------------------------ SQLite


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    migrate.upgrade(f"sqlite:///{path.as_posix()}")
    return path


@pytest.fixture
def sqlite_url(_sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "gateway.db"
    shutil.copyfile(_sqlite_template, path)
    return f"sqlite:///{path.as_posix()}"


# -------------------------------------------------------------------------------------- PostgreSQL


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """The server's maintenance database URL (where test databases are created from)."""
    url = os.environ.get("GATEWAY_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    try:
        with psycopg.connect(_libpq(url), connect_timeout=3):
            pass
    except psycopg.Error as error:
        service_unavailable(f"PostgreSQL at {make_url(url).render_as_string()}", error)
    return url


@pytest.fixture(scope="session")
def postgres_url(postgres_server_url: str, request: pytest.FixtureRequest) -> Iterator[str]:
    name = f"gw_test_{_worker_name(request.config)}"
    admin = _libpq(postgres_server_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_url(postgres_server_url).set(drivername="postgresql+psycopg", database=name)
    rendered = url.render_as_string(hide_password=False)
    try:
        migrate.upgrade(rendered)
        yield rendered
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


# --------------------------------------------------------------------------------------- either one


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """A migrated database URL; tests using it run once on SQLite and once on PostgreSQL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that really commit (for tests of concurrency and of tasks)."""
    return make_sessionmaker(engine)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back when the test ends, commits included."""
    connection = engine.connect()
    outer = connection.begin()
    db_session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield db_session
    finally:
        db_session.close()
        if outer.is_active:
            outer.rollback()
        connection.close()


# ------------------------------------------------------------------------------------------- Redis


@pytest.fixture(scope="session")
def _redis_server_url() -> str:
    url = os.environ.get("GATEWAY_TEST_REDIS_URL", DEFAULT_REDIS_URL)
    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as error:
        service_unavailable(f"Redis at {url}", error)
    finally:
        client.close()
    return url


@pytest.fixture
def redis_token() -> str:
    """A token unique to the test: put it in queue names and job arguments; every Redis key
    containing it is deleted after the test."""
    return uuid.uuid4().hex[:16]


@pytest.fixture
def queue_name(redis_token: str) -> str:
    return f"gateway-test:{redis_token}"


@pytest.fixture
def redis_url(_redis_server_url: str, redis_token: str) -> Iterator[str]:
    """The test Redis (not flushed: runs and xdist workers share it; see the module docstring)."""
    yield _redis_server_url
    client = redis.Redis.from_url(_redis_server_url)
    try:
        keys = list(client.scan_iter(match=f"*{redis_token}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()
