"""What every protected route does with the bearer token: 401 with a Bearer challenge, 403 for a
missing scope, 429 with Retry-After over the client's rate, and the per-client bucket on Redis."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import redis
from fastapi import FastAPI
from joserfc import jwt
from joserfc.jwk import ECKey

from gateway.api.ratelimit import MemoryTokenBucket, RateLimiter, RedisTokenBucket
from gateway.app import create_app
from gateway.kit.clock import FixedClock
from gateway.pipeline.runtime import Runtime
from tests.api.auth import Tokens
from tests.api.builders import AT
from tests.api.conftest import BASE_URL
from tests.api.oauth.test_token import segments
from tests.api.problem import assert_problem

pytestmark = pytest.mark.anyio


async def test_no_token_is_401_with_a_bearer_challenge(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/v1/events")

    assert_problem(response, 401, type_="/problems/unauthorized")
    assert response.headers["www-authenticate"] == 'Bearer realm="gateway"'


@pytest.mark.parametrize(
    "authorization",
    ["Bearer not-a-jwt", "Basic dXNlcjpwYXNz", "Bearer ", "Bearer a.b.c"],
)
async def test_a_bad_token_is_401_invalid_token(anonymous: httpx.AsyncClient, authorization: str) -> None:
    response = await anonymous.get("/v1/events", headers={"Authorization": authorization})

    assert_problem(response, 401)
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def test_a_token_signed_by_another_key_is_401(anonymous: httpx.AsyncClient, tokens: Tokens) -> None:
    real = (await tokens.internal())["Authorization"].removeprefix("Bearer ")
    header, claims = segments(real)  # the same kid and claims, another key's signature
    forged = jwt.encode(header, claims, ECKey.generate_key("P-256", private=True), algorithms=["ES256"])

    response = await anonymous.get("/v1/events", headers={"Authorization": f"Bearer {forged}"})

    assert_problem(response, 401)
    assert "signature" in response.json()["detail"]


async def test_a_missing_scope_is_403_insufficient_scope_naming_it(
    anonymous: httpx.AsyncClient, tokens: Tokens
) -> None:
    headers = await tokens.internal("procurement:read")

    response = await anonymous.get("/v1/events", headers=headers)

    assert_problem(response, 403, type_="/problems/insufficient-scope")
    challenge = response.headers["www-authenticate"]
    assert 'error="insufficient_scope"' in challenge
    assert 'scope="events:read"' in challenge


async def test_an_expired_token_is_401(
    anonymous: httpx.AsyncClient, tokens: Tokens, runtime: Runtime
) -> None:
    headers = await tokens.internal("events:read")
    assert isinstance(runtime.clock, FixedClock)
    runtime.clock.advance(dt.timedelta(hours=1, minutes=1))

    response = await anonymous.get("/v1/events", headers=headers)

    assert_problem(response, 401)
    assert "expired" in response.json()["detail"]


def app_with(runtime: Runtime, **settings: object) -> FastAPI:
    """The app on the same database and clock, with other settings (`api=...`, `redis_url=...`)."""
    return create_app(
        runtime=dataclasses.replace(runtime, settings=runtime.settings.model_copy(update=settings))
    )


@pytest.fixture
async def limited(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    app = app_with(
        runtime,
        api=runtime.settings.api.model_copy(update={"rate_limit_per_minute": 60, "rate_limit_burst": 3}),
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as c:
        yield c


async def test_over_the_rate_a_client_gets_429_with_retry_after_and_others_are_not_slowed(
    limited: httpx.AsyncClient, runtime: Runtime
) -> None:
    tokens = Tokens(limited, runtime)
    first = await tokens.internal("events:read")
    second = await tokens.internal("events:read", role="integration")

    answers = [(await limited.get("/v1/events", headers=first)).status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]
    refused = await limited.get("/v1/events", headers=first)
    body = assert_problem(refused, 429, type_="/problems/rate-limited")
    assert refused.headers["retry-after"] == str(body["retry_after"]) == "1"
    assert (await limited.get("/v1/events", headers=second)).status_code == 200
    assert isinstance(runtime.clock, FixedClock)
    runtime.clock.advance(dt.timedelta(seconds=1))
    assert (await limited.get("/v1/events", headers=first)).status_code == 200


def drain(limiter: RateLimiter, key: str, now: dt.datetime) -> list[float]:
    return [limiter.take(key, rate_per_minute=30, burst=2, now=now) for _ in range(3)]


@pytest.fixture
def redis_bucket(redis_url: str, redis_token: str) -> Iterator[RedisTokenBucket]:
    bucket = RedisTokenBucket.from_url(redis_url, prefix=f"gateway-test:{redis_token}:ratelimit")
    try:
        yield bucket
    finally:
        bucket.close()


@pytest.mark.redis
def test_the_redis_bucket_refills_at_the_rate_and_is_shared_by_every_process(
    redis_bucket: RedisTokenBucket, redis_url: str, redis_token: str
) -> None:
    assert drain(redis_bucket, "client-a", AT) == [0.0, 0.0, 2.0]  # 30 a minute: one every 2 s
    other_process = RedisTokenBucket.from_url(redis_url, prefix=f"gateway-test:{redis_token}:ratelimit")
    try:
        assert other_process.take("client-a", rate_per_minute=30, burst=2, now=AT) == 2.0
        assert (
            other_process.take("client-a", rate_per_minute=30, burst=2, now=AT + dt.timedelta(seconds=2)) == 0
        )
        assert other_process.take("client-b", rate_per_minute=30, burst=2, now=AT) == 0
    finally:
        other_process.close()


def test_the_memory_bucket_answers_like_the_redis_one() -> None:
    bucket = MemoryTokenBucket()

    assert drain(bucket, "client-a", AT) == [0.0, 0.0, 2.0]
    assert bucket.take("client-a", rate_per_minute=30, burst=2, now=AT + dt.timedelta(seconds=2)) == 0


@pytest.mark.redis
async def test_with_redis_configured_the_api_limits_on_redis(
    runtime: Runtime, redis_url: str, redis_token: str
) -> None:
    api = runtime.settings.api.model_copy(
        update={
            "rate_limit_per_minute": 60,
            "rate_limit_burst": 1,
            "rate_limit_prefix": f"gateway-test:{redis_token}:rl",
        }
    )
    app = app_with(runtime, redis_url=redis_url, api=api)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as c:
        headers = await Tokens(c, runtime).internal("events:read")
        answers = [(await c.get("/v1/events", headers=headers)).status_code for _ in range(2)]
    assert answers == [200, 429]
    client = redis.Redis.from_url(redis_url)
    try:
        assert list(client.scan_iter(match=f"gateway-test:{redis_token}:rl:*"))
    finally:
        client.close()


def protected_operations() -> list[tuple[str, str]]:
    spec = create_app().openapi()
    return sorted(
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if operation.get("security")
    )


@pytest.mark.parametrize(
    ("method", "path"), protected_operations(), ids=[f"{m} {p}" for m, p in protected_operations()]
)
async def test_every_protected_operation_refuses_a_request_without_a_token(
    anonymous: httpx.AsyncClient, method: str, path: str
) -> None:
    url = path.replace("{exception_id}", "1").replace("{", "").replace("}", "")

    response = await anonymous.request(method, url, json={})

    assert_problem(response, 401, type_="/problems/unauthorized")
    assert response.headers["www-authenticate"] == 'Bearer realm="gateway"'


def test_only_the_probes_oauth_docs_and_channel_endpoints_are_open() -> None:
    spec = create_app().openapi()
    open_paths = {
        path
        for path, item in spec["paths"].items()
        for operation in item.values()
        if not operation.get("security")
    }
    assert open_paths == {
        "/healthz",
        "/readyz",
        "/oauth/token",
        "/oauth/introspect",
        "/oauth/revoke",
        "/.well-known/oauth-authorization-server",
        "/.well-known/jwks.json",
        "/cxml",  # cXML SharedSecret
        "/v1/webhooks/{portal}",  # Standard Webhooks signatures
        "/as2",  # AS2 signatures
    }
