"""RFC 7662 introspection (administrators) and RFC 7009 revocation, and the RFC 8414 metadata."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from gateway.kit.clock import FixedClock
from gateway.pipeline.runtime import Runtime
from tests.api.auth import Tokens
from tests.api.oauth.test_token import assert_oauth_problem
from tests.api.tenants import Tenants

pytestmark = pytest.mark.anyio


async def test_an_administrator_introspects_an_active_token(
    anonymous: httpx.AsyncClient, tokens: Tokens, tenants: Tenants
) -> None:
    admin = tokens.register(role="admin")
    supplier = tokens.config_client(tenants.a_portal)
    token = await tokens.token(supplier, "orders:read")

    response = await anonymous.post("/oauth/introspect", data={"token": token}, auth=admin.basic)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["active"] is True
    assert (body["client_id"], body["partner_id"], body["scope"]) == (
        tenants.a_portal,
        tenants.a,
        "orders:read",
    )
    assert body["token_type"] == "Bearer"
    assert body["exp"] - body["iat"] == 3600


async def test_introspection_says_inactive_to_non_administrators_and_for_unknown_expired_or_revoked_tokens(
    anonymous: httpx.AsyncClient, tokens: Tokens, runtime: Runtime, tenants: Tenants
) -> None:
    admin = tokens.register(role="admin")
    supplier = tokens.config_client(tenants.a_portal)
    planner = tokens.register(role="planning")
    token = await tokens.token(supplier)

    async def active(who_basic: tuple[str, str], value: str) -> bool:
        response = await anonymous.post("/oauth/introspect", data={"token": value}, auth=who_basic)
        assert response.status_code == 200, response.text
        answer: bool = response.json()["active"]
        return answer

    assert await active(admin.basic, token)
    assert not await active(supplier.basic, token)  # its own token, but not an administrator
    assert not await active(planner.basic, token)
    assert not await active(admin.basic, "not-a-token")
    assert not await active(admin.basic, token[:-4] + "AAAA")  # signature spoiled
    revoked = await tokens.token(supplier)
    await anonymous.post("/oauth/revoke", data={"token": revoked}, auth=supplier.basic)
    assert not await active(admin.basic, revoked)
    assert isinstance(runtime.clock, FixedClock)
    runtime.clock.advance(dt.timedelta(hours=2))
    assert not await active(tokens.register(role="admin").basic, token)


async def test_introspection_needs_client_authentication(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.post("/oauth/introspect", data={"token": "x"})

    assert_oauth_problem(response, 401, "invalid_client")


async def test_a_client_revokes_its_own_token_and_the_api_refuses_it_at_once(
    anonymous: httpx.AsyncClient, tokens: Tokens
) -> None:
    credentials = tokens.register(role="integration")
    token = await tokens.token(credentials)
    bearer = {"Authorization": f"Bearer {token}"}
    assert (await anonymous.get("/v1/events", headers=bearer)).status_code == 200

    response = await anonymous.post("/oauth/revoke", data={"token": token}, auth=credentials.basic)

    assert (response.status_code, response.json()) == (200, {})
    refused = await anonymous.get("/v1/events", headers=bearer)
    assert refused.status_code == 401
    assert "revoked" in refused.json()["detail"]


async def test_another_clients_token_is_not_revoked_but_an_administrator_may_revoke_any(
    anonymous: httpx.AsyncClient, tokens: Tokens, tenants: Tenants
) -> None:
    a = tokens.config_client(tenants.a_portal)
    b = tokens.config_client(tenants.b_portal)
    b_token = await tokens.token(b)
    b_bearer = {"Authorization": f"Bearer {b_token}"}

    by_a = await anonymous.post("/oauth/revoke", data={"token": b_token}, auth=a.basic)

    assert (by_a.status_code, by_a.json()) == (200, {})  # like an unknown token: nothing said, nothing done
    assert (await anonymous.get("/v1/supplier/purchase-orders", headers=b_bearer)).status_code == 200
    admin = tokens.register(role="admin")
    assert (
        await anonymous.post("/oauth/revoke", data={"token": b_token}, auth=admin.basic)
    ).status_code == 200
    assert (await anonymous.get("/v1/supplier/purchase-orders", headers=b_bearer)).status_code == 401


async def test_revoking_a_client_revokes_its_tokens(
    anonymous: httpx.AsyncClient, tokens: Tokens, runtime: Runtime
) -> None:
    from gateway.api.oauth import clients
    from gateway.store.session import session_scope

    credentials = tokens.register(role="integration")
    bearer = {"Authorization": f"Bearer {await tokens.token(credentials)}"}
    with session_scope(runtime.sessionmaker) as session:
        clients.revoke(session, credentials.client_id, runtime.clock.now())

    assert (await anonymous.get("/v1/events", headers=bearer)).status_code == 401


async def test_the_metadata_names_every_endpoint_under_the_issuer(anonymous: httpx.AsyncClient) -> None:
    body = (await anonymous.get("/.well-known/oauth-authorization-server")).json()

    issuer = "http://127.0.0.1:8000"
    assert body["issuer"] == issuer
    assert body["token_endpoint"] == f"{issuer}/oauth/token"
    assert body["jwks_uri"] == f"{issuer}/.well-known/jwks.json"
    assert body["introspection_endpoint"] == f"{issuer}/oauth/introspect"
    assert body["revocation_endpoint"] == f"{issuer}/oauth/revoke"
    assert body["grant_types_supported"] == ["client_credentials"]
    assert set(body["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    }
    assert {"orders:read", "procurement:read", "partners:admin"} <= set(body["scopes_supported"])
