"""The real app on a real database (SQLite, and PostgreSQL through `db_url`), driven over ASGI.

Data is committed through the repositories (PostgreSQL keeps it for the next test), so every test
works under its own partner id (`unique_id`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from gateway.app import create_app
from gateway.kit.clock import FixedClock
from gateway.pipeline.runtime import Runtime, build_runtime
from gateway.settings import Settings
from tests.api.builders import AT
from tests.db_fixtures import unique_id


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def runtime(db_url: str, tmp_path: Path, repo_root: Path) -> Iterator[Runtime]:
    settings = Settings(
        data_dir=tmp_path,
        database_url=db_url,
        redis_url=None,
        partners_dir=repo_root / "partners",
        maps_dir=repo_root / "edi_maps",
    )
    built = build_runtime(settings, clock=FixedClock(AT), upgrade=False)
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    return create_app(runtime=runtime)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        yield c


@pytest.fixture
def partner_id() -> str:
    return unique_id("partner")
