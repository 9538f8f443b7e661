"""HTTP hygiene: problem+json for every error (a failure of ours too), the body size limit from the
settings, and no CORS unless origins are configured."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import httpx
import pytest

from gateway.app import create_app
from gateway.pipeline.runtime import Runtime
from gateway.store.session import make_engine, make_sessionmaker
from tests.api.conftest import BASE_URL
from tests.api.problem import assert_problem

pytestmark = pytest.mark.anyio

ORIGIN = "https://portal.example.com"


def app_for(runtime: Runtime, **api: object) -> httpx.AsyncClient:
    settings = runtime.settings.model_copy(update={"api": runtime.settings.api.model_copy(update=api)})
    app = create_app(runtime=dataclasses.replace(runtime, settings=settings))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)


async def test_no_cors_headers_by_default(client: httpx.AsyncClient) -> None:
    simple = await client.get("/v1/events", headers={"Origin": ORIGIN})
    preflight = await client.options(
        "/v1/events", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"}
    )

    assert simple.status_code == 200
    assert "access-control-allow-origin" not in simple.headers
    assert_problem(preflight, 405)
    assert "access-control-allow-origin" not in preflight.headers


async def test_cors_answers_only_the_configured_origins(runtime: Runtime) -> None:
    async with app_for(runtime, cors_origins=[ORIGIN]) as c:
        allowed = await c.options(
            "/v1/events",
            headers={
                "Origin": ORIGIN,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "authorization",
            },
        )
        other = await c.get("/healthz", headers={"Origin": "https://evil.example"})

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-origin" not in other.headers


async def test_the_body_limit_comes_from_the_settings_and_covers_the_token_endpoint(runtime: Runtime) -> None:
    async with app_for(runtime, max_body_bytes=1024) as c:
        token = await c.post(
            "/oauth/token",
            content=b"grant_type=" + b"x" * 2000,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        edi = await c.post("/v1/edi", content=b"ISA" * 1000)

    assert_problem(token, 413, type_="/problems/request-too-large")
    assert_problem(edi, 413, type_="/problems/request-too-large")


async def test_a_failure_of_ours_is_a_500_problem_that_says_nothing_changed(
    runtime: Runtime, tmp_path: Path
) -> None:
    missing = (tmp_path / "no-such-dir" / "gateway.db").as_posix()
    unreachable = make_engine(f"sqlite:///file:{missing}?mode=ro&uri=true")
    broken = dataclasses.replace(runtime, engine=unreachable, sessionmaker=make_sessionmaker(unreachable))
    app = create_app(runtime=broken)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as c:
            response = await c.get("/v1/events", headers={"Authorization": "Bearer x"})
    finally:
        unreachable.dispose()

    # A database that cannot be reached is a 503 the client retries (`Retry-After`), not a 500.
    body = assert_problem(response, 503, type_="/problems/unavailable")
    assert "nothing was changed" in body["detail"]
    assert response.headers["retry-after"] == "5"
    assert "sqlite" not in response.text.lower()  # no internals leak to the caller
