"""`POST /oauth/token`: client credentials with client_secret_basic and client_secret_post; what
the token is (RFC 9068); how failures answer (problem+json keeping the RFC 6749 members)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.api.oauth.scopes import INTERNAL_SCOPES, SUPPLIER_SCOPES
from gateway.partners.model import ClientAuthMethod
from gateway.pipeline.runtime import Runtime
from gateway.store import repositories as repo
from gateway.store.session import session_scope
from tests.api.auth import Credentials, Tokens
from tests.api.builders import AT
from tests.api.problem import assert_problem
from tests.api.tenants import Tenants

pytestmark = pytest.mark.anyio

GRANT = {"grant_type": "client_credentials"}


def segments(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and claims of a JWT, read without verifying (the tests below verify)."""
    header, claims, _ = token.split(".")

    def part(text: str) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        return value

    return part(header), part(claims)


def assert_oauth_problem(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    body = assert_problem(response, status, type_=f"/problems/oauth/{error}")
    assert body["error"] == error
    assert body["error_description"]
    assert response.headers["cache-control"] == "no-store"
    return body


async def test_client_secret_basic_gets_an_rfc9068_jwt_bound_to_its_partner(
    anonymous: httpx.AsyncClient, tokens: Tokens, tenants: Tenants
) -> None:
    credentials = tokens.config_client(tenants.a_portal)

    response = await anonymous.post("/oauth/token", data=GRANT, auth=credentials.basic)

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 3600)
    assert set(body["scope"].split()) == SUPPLIER_SCOPES
    header, claims = segments(body["access_token"])
    assert header["typ"] == "at+jwt"
    assert header["alg"] == "ES256"
    jwks = (await anonymous.get("/.well-known/jwks.json")).json()
    assert header["kid"] in {key["kid"] for key in jwks["keys"]}
    assert claims["iss"] == claims["aud"] == "http://127.0.0.1:8000"
    assert claims["sub"] == claims["client_id"] == tenants.a_portal
    assert claims["partner_id"] == tenants.a
    assert "role" not in claims
    assert claims["iat"] == int(AT.timestamp())
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["jti"]


async def test_client_secret_post_gets_a_token_for_an_internal_role(
    anonymous: httpx.AsyncClient, tokens: Tokens
) -> None:
    credentials = tokens.register(role="erp", auth_method=ClientAuthMethod.CLIENT_SECRET_POST)
    form = GRANT | {"client_id": credentials.client_id, "client_secret": credentials.secret or ""}

    response = await anonymous.post("/oauth/token", data=form)

    assert response.status_code == 200, response.text
    _, claims = segments(response.json()["access_token"])
    assert claims["role"] == "erp"
    assert "partner_id" not in claims
    assert claims["scope"] == "procurement:read procurement:write"


async def test_a_client_asking_for_fewer_scopes_gets_only_those(
    anonymous: httpx.AsyncClient, tokens: Tokens
) -> None:
    credentials = tokens.register(role="admin")

    response = await anonymous.post(
        "/oauth/token", data=GRANT | {"scope": "events:read"}, auth=credentials.basic
    )

    assert response.json()["scope"] == "events:read"


async def test_a_scope_the_client_does_not_hold_is_invalid_scope(
    anonymous: httpx.AsyncClient, tokens: Tokens, tenants: Tenants
) -> None:
    credentials = tokens.config_client(tenants.a_portal)

    response = await anonymous.post(
        "/oauth/token", data=GRANT | {"scope": "orders:read procurement:read"}, auth=credentials.basic
    )

    body = assert_oauth_problem(response, 400, "invalid_scope")
    assert "procurement:read" in body["error_description"]


@pytest.mark.parametrize("secret", ["wrong", ""])
async def test_a_wrong_secret_is_invalid_client_with_a_basic_challenge(
    anonymous: httpx.AsyncClient, tokens: Tokens, secret: str
) -> None:
    credentials = tokens.register(role="erp")

    response = await anonymous.post("/oauth/token", data=GRANT, auth=(credentials.client_id, secret))

    assert_oauth_problem(response, 401, "invalid_client")
    assert response.headers["www-authenticate"].startswith("Basic ")


async def test_a_client_authenticates_only_with_its_own_method(
    anonymous: httpx.AsyncClient, tokens: Tokens
) -> None:
    basic = tokens.register(role="erp", auth_method=ClientAuthMethod.CLIENT_SECRET_BASIC)
    form = GRANT | {"client_id": basic.client_id, "client_secret": basic.secret or ""}

    response = await anonymous.post("/oauth/token", data=form)

    assert_oauth_problem(response, 401, "invalid_client")


async def test_an_unknown_client_and_a_revoked_one_are_invalid_client(
    anonymous: httpx.AsyncClient, tokens: Tokens, runtime: Runtime
) -> None:
    revoked = tokens.register(role="erp")
    with session_scope(runtime.sessionmaker) as session:
        repo.OAuthClientRepository(session).revoke(revoked.client_id)

    for credentials in (revoked, Credentials("no-such-client", "x")):
        response = await anonymous.post("/oauth/token", data=GRANT, auth=credentials.basic)
        assert_oauth_problem(response, 401, "invalid_client")


async def test_a_disabled_partners_client_gets_no_token(
    anonymous: httpx.AsyncClient, tokens: Tokens, tenants: Tenants
) -> None:
    credentials = tokens.config_client(tenants.disabled_portal)

    response = await anonymous.post("/oauth/token", data=GRANT, auth=credentials.basic)

    assert_oauth_problem(response, 401, "invalid_client")


@pytest.mark.parametrize(
    ("content", "content_type", "error"),
    [
        (b"grant_type=password", "application/x-www-form-urlencoded", "unsupported_grant_type"),
        (b"", "application/x-www-form-urlencoded", "unsupported_grant_type"),
        (b'{"grant_type": "client_credentials"}', "application/json", "invalid_request"),
        (
            b"grant_type=client_credentials&grant_type=client_credentials",
            "application/x-www-form-urlencoded",
            "invalid_request",
        ),
        (b"grant_type=\xff", "application/x-www-form-urlencoded", "invalid_request"),
    ],
    ids=["password grant", "no grant", "json body", "repeated parameter", "not utf-8"],
)
async def test_a_malformed_token_request_is_a_400_oauth_problem(
    anonymous: httpx.AsyncClient, tokens: Tokens, content: bytes, content_type: str, error: str
) -> None:
    credentials = tokens.register(role="erp")

    response = await anonymous.post(
        "/oauth/token", content=content, headers={"content-type": content_type}, auth=credentials.basic
    )

    assert_oauth_problem(response, 400, error)


async def test_plain_http_to_a_public_host_is_refused(app: Any, tokens: Tokens) -> None:
    credentials = tokens.register(role="erp")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway.example"
    ) as c:
        response = await c.post("/oauth/token", data=GRANT, auth=credentials.basic)

    assert_oauth_problem(response, 400, "insecure_transport")


def partner_texts(directory: Path) -> list[str]:
    return [path.read_text(encoding="utf-8") for path in directory.glob("*")]


async def test_secrets_are_stored_as_keyed_hashes_and_never_in_partner_files(
    tokens: Tokens, runtime: Runtime, tenants: Tenants
) -> None:
    credentials = tokens.config_client(tenants.a_portal)
    assert credentials.secret is not None
    with session_scope(runtime.sessionmaker) as session:
        row = repo.OAuthClientRepository(session).require(tenants.a_portal)
        stored = row.secret_hash
    assert stored is not None
    assert stored.startswith("hmac-sha256$")
    assert credentials.secret not in stored
    assert all(credentials.secret not in text for text in partner_texts(runtime.settings.partners_dir))


async def test_a_new_secret_replaces_the_old_one(
    anonymous: httpx.AsyncClient, tokens: Tokens, tenants: Tenants
) -> None:
    old = tokens.config_client(tenants.b_portal)
    new = tokens.config_client(tenants.b_portal)

    assert (await anonymous.post("/oauth/token", data=GRANT, auth=new.basic)).status_code == 200
    assert_oauth_problem(
        await anonymous.post("/oauth/token", data=GRANT, auth=old.basic), 401, "invalid_client"
    )


async def test_an_internal_admin_gets_every_internal_scope_by_default(
    anonymous: httpx.AsyncClient, tokens: Tokens
) -> None:
    credentials = tokens.register(role="admin")

    response = await anonymous.post("/oauth/token", data=GRANT, auth=credentials.basic)

    assert set(response.json()["scope"].split()) == INTERNAL_SCOPES
