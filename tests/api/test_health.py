from __future__ import annotations

import dataclasses
from pathlib import Path

import httpx
import pytest
from starlette.types import Receive, Scope, Send

import gateway
from gateway.app import create_app
from gateway.pipeline.runtime import Runtime
from gateway.settings import Settings
from gateway.store.session import make_engine
from tests.api.auth import Tokens
from tests.api.problem import assert_problem

pytestmark = pytest.mark.anyio


async def test_healthz_answers_while_the_process_is_up(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": gateway.__version__}


async def test_readyz_answers_when_the_database_does(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "database": "ok", "queue": "inline"}


async def test_readyz_is_a_503_problem_with_retry_after_when_the_database_is_unreachable(
    runtime: Runtime, tmp_path: Path
) -> None:
    missing = (tmp_path / "no-such-dir" / "gateway.db").as_posix()
    unreachable = make_engine(f"sqlite:///file:{missing}?mode=ro&uri=true")
    app = create_app(runtime=dataclasses.replace(runtime, engine=unreachable))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            response = await client.get("/readyz")
    finally:
        unreachable.dispose()
    body = assert_problem(response, 503, type_="/problems/not-ready")
    assert response.headers["retry-after"] == str(body["retry_after"])


async def test_lifespan_builds_the_runtime_from_settings_and_closes_it(
    tmp_path: Path, repo_root: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        database_url=None,
        redis_url=None,
        partners_dir=repo_root / "partners",
        maps_dir=repo_root / "edi_maps",
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app) as state:
        assert state is not None
        runtime = state["runtime"]

        async def served(scope: Scope, receive: Receive, send: Send) -> None:
            # What an ASGI server does: each request scope gets a copy of the lifespan state.
            await app({**scope, "state": dict(state)}, receive, send)

        transport = httpx.ASGITransport(app=served)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            assert (await client.get("/readyz")).status_code == 200
            headers = await Tokens(client, runtime).internal("events:read")
            events = await client.get("/v1/events", headers=headers)
            assert events.json() == {"items": [], "next_cursor": 0}
    assert (tmp_path / "gateway.db").is_file()
    assert runtime.engine.pool.checkedout() == 0


async def test_unknown_route_is_a_404_problem(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/v1/nothing-here"), 404)
    assert body["title"] == "Not Found"


async def test_wrong_method_is_a_405_problem_that_names_the_allowed_ones(client: httpx.AsyncClient) -> None:
    response = await client.delete("/v1/events")
    assert_problem(response, 405)
    assert response.headers["allow"] == "GET"


def test_app_carries_title_and_version() -> None:
    app = create_app()
    assert app.title == "Supplier collaboration gateway"
    assert app.version == gateway.__version__
