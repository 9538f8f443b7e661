"""RFC 7523 client authentication (`private_key_jwt`) with the partner's public JWK from its file."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey

from tests.api.auth import Tokens
from tests.api.builders import AT
from tests.api.oauth.test_token import assert_oauth_problem, segments
from tests.api.tenants import Tenants

pytestmark = pytest.mark.anyio

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_URL = "http://127.0.0.1:8000/oauth/token"


def assertion(
    client_id: str,
    key: ECKey | OctKey,
    *,
    alg: str = "ES256",
    lifetime: dt.timedelta = dt.timedelta(minutes=5),
    **changes: Any,
) -> str:
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": TOKEN_URL,
        "jti": uuid.uuid4().hex,
        "iat": int(AT.timestamp()),
        "exp": int((AT + lifetime).timestamp()),
    } | changes
    return jwt.encode({"alg": alg, "kid": "a-1"}, claims, key, algorithms=[alg])


def form(signed: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": signed,
    }


async def test_a_client_signing_with_its_key_gets_a_token_for_its_partner(
    anonymous: httpx.AsyncClient, tokens: Tokens, tenants: Tenants
) -> None:
    tokens.config_client(tenants.a_erp)

    response = await anonymous.post("/oauth/token", data=form(assertion(tenants.a_erp, tenants.a_key)))

    assert response.status_code == 200, response.text
    _, claims = segments(response.json()["access_token"])
    assert (claims["client_id"], claims["partner_id"]) == (tenants.a_erp, tenants.a)


async def test_the_issuer_is_also_accepted_as_audience(
    anonymous: httpx.AsyncClient, tokens: Tokens, tenants: Tenants
) -> None:
    tokens.config_client(tenants.a_erp)
    signed = assertion(tenants.a_erp, tenants.a_key, aud="http://127.0.0.1:8000")

    assert (await anonymous.post("/oauth/token", data=form(signed))).status_code == 200


async def test_an_assertion_is_used_once(
    anonymous: httpx.AsyncClient, tokens: Tokens, tenants: Tenants
) -> None:
    tokens.config_client(tenants.a_erp)
    signed = assertion(tenants.a_erp, tenants.a_key)

    assert (await anonymous.post("/oauth/token", data=form(signed))).status_code == 200
    replay = await anonymous.post("/oauth/token", data=form(signed))

    body = assert_oauth_problem(replay, 400, "invalid_client")
    assert "jti" in body["error_description"]


def other_key() -> ECKey:
    return ECKey.generate_key("P-256", private=True)


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (lambda t: assertion(t.a_erp, other_key()), "signature"),
        (lambda t: assertion(t.a_erp, t.a_key, aud="https://elsewhere.example/token"), "aud"),
        (lambda t: assertion(t.a_erp, t.a_key, lifetime=dt.timedelta(minutes=-5)), "expired"),
        (lambda t: assertion(t.a_erp, t.a_key, lifetime=dt.timedelta(hours=2)), "ten minutes"),
        (lambda t: assertion(t.a_erp, t.a_key, iss="someone-else"), "iss and sub"),
        (lambda t: assertion(t.a_erp, OctKey.generate_key(256), alg="HS256"), "signature"),
        (lambda t: assertion(t.b_portal, t.a_key), "private_key_jwt"),
        (lambda t: "not-a-jwt", "assertion"),
    ],
    ids=[
        "other key",
        "wrong audience",
        "expired",
        "too long",
        "iss differs",
        "hmac",
        "other client",
        "garbage",
    ],
)
async def test_a_bad_assertion_is_invalid_client(
    anonymous: httpx.AsyncClient, tokens: Tokens, tenants: Tenants, make: Any, why: str
) -> None:
    tokens.config_client(tenants.a_erp)
    tokens.config_client(tenants.b_portal)

    response = await anonymous.post("/oauth/token", data=form(make(tenants)))

    body = assert_oauth_problem(response, response.status_code, "invalid_client")
    assert response.status_code in (400, 401)
    assert why.lower() in body["error_description"].lower()


async def test_a_private_key_jwt_client_cannot_use_a_secret(
    anonymous: httpx.AsyncClient, tokens: Tokens, tenants: Tenants
) -> None:
    tokens.config_client(tenants.a_erp)

    response = await anonymous.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(tenants.a_erp, "anything")
    )

    assert_oauth_problem(response, 401, "invalid_client")
