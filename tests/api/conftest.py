"""The real app on a real database (SQLite, and PostgreSQL through `db_url`), driven over ASGI.

Data is committed through the repositories (PostgreSQL keeps it for the next test), so every test
works under its own partner id (`unique_id`).

- `tenants`: partners A and B (and a disabled one) of the test's own, in a copy of `partners/`
  (`tests.api.tenants`); the runtime loads that directory.
- `anonymous`: the app without credentials (the OAuth endpoints, the probes, 401 cases).
- `tokens`: real access tokens from the app's token endpoint (`tests.api.auth.Tokens`).
- `client`: the app with an internal token holding every internal scope (the procurement API).
- `supplier_a`, `supplier_b`: the app with a token of tenant A's (B's) client, every supplier scope.

The base URL is a loopback address: OAuth 2 refuses plain HTTP anywhere else.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from gateway.app import create_app
from gateway.kit.clock import FixedClock
from gateway.pipeline.runtime import Runtime, build_runtime
from gateway.settings import OAuthSettings, Settings
from tests.api.auth import TEST_SECRET_KEY, Tokens
from tests.api.builders import AT
from tests.api.tenants import Tenants, write_tenants
from tests.db_fixtures import unique_id


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def tenants(tmp_path: Path, repo_root: Path) -> Tenants:
    return write_tenants(tmp_path / "partners", repo_root / "partners")


@pytest.fixture
def runtime(db_url: str, tmp_path: Path, repo_root: Path, tenants: Tenants) -> Iterator[Runtime]:
    settings = Settings(
        data_dir=tmp_path,
        database_url=db_url,
        redis_url=None,
        partners_dir=tmp_path / "partners",
        maps_dir=repo_root / "edi_maps",
        oauth=OAuthSettings(secret_key=SecretStr(TEST_SECRET_KEY)),
    )
    built = build_runtime(settings, clock=FixedClock(AT), upgrade=False)
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    return create_app(runtime=runtime)


BASE_URL = "http://localhost"


@pytest.fixture
async def anonymous(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as c:
        yield c


@pytest.fixture
def tokens(anonymous: httpx.AsyncClient, runtime: Runtime) -> Tokens:
    return Tokens(anonymous, runtime)


@pytest.fixture
async def client(app: FastAPI, tokens: Tokens) -> AsyncIterator[httpx.AsyncClient]:
    headers = await tokens.internal()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=BASE_URL, headers=headers
    ) as c:
        yield c


@pytest.fixture
def partner_id() -> str:
    return unique_id("partner")


def _authorized(app: FastAPI, headers: dict[str, str]) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL, headers=headers)


@pytest.fixture
async def supplier_a(app: FastAPI, tokens: Tokens, tenants: Tenants) -> AsyncIterator[httpx.AsyncClient]:
    async with _authorized(app, await tokens.supplier(tenants.a)) as c:
        yield c


@pytest.fixture
async def supplier_b(app: FastAPI, tokens: Tokens, tenants: Tenants) -> AsyncIterator[httpx.AsyncClient]:
    async with _authorized(app, await tokens.supplier(tenants.b)) as c:
        yield c
