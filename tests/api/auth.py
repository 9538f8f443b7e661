"""Real access tokens for API tests: a client registered through `gateway.api.oauth.clients` (as the
CLI does), then a token from the real `/oauth/token` endpoint.

    headers = await tokens.internal()                                   # every internal scope
    headers = await tokens.internal("procurement:read")                 # just one
    headers = await tokens.supplier("acme-fasteners", "orders:read")    # a partner's client
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from gateway.api.oauth import clients
from gateway.api.oauth.authority import Authority
from gateway.api.oauth.scopes import INTERNAL_SCOPES, SUPPLIER_SCOPES
from gateway.partners.model import ClientAuthMethod
from gateway.pipeline.runtime import Runtime
from gateway.store import repositories as repo
from gateway.store.session import session_scope
from tests.db_fixtures import unique_id

Headers = dict[str, str]
# One master secret for every test runtime: the PostgreSQL test database (and its signing keys) is
# shared by the tests of a run, so they must all open the same sealed keys.
TEST_SECRET_KEY = "test-master-secret-for-the-gateway-test-suite"


@dataclass(frozen=True)
class Credentials:
    client_id: str
    secret: str | None

    @property
    def basic(self) -> tuple[str, str]:
        assert self.secret is not None
        return (self.client_id, self.secret)


@dataclass
class Tokens:
    """Registers clients and fetches their tokens over `http` (the app, unauthenticated)."""

    http: httpx.AsyncClient
    runtime: Runtime
    _cache: dict[tuple[Any, ...], Headers] = field(default_factory=dict)

    @property
    def authority(self) -> Authority:
        return Authority.from_settings(self.runtime.settings)

    def register(
        self,
        *,
        partner_id: str | None = None,
        role: str | None = None,
        scopes: Sequence[str] | None = None,
        auth_method: ClientAuthMethod = ClientAuthMethod.CLIENT_SECRET_BASIC,
        jwks: Sequence[dict[str, Any]] = (),
    ) -> Credentials:
        """A new client in its own committed transaction."""
        with session_scope(self.runtime.sessionmaker) as session:
            row, secret = clients.create(
                session,
                self.authority,
                self.runtime.partners,
                partner_id=partner_id,
                role=role,
                scopes=scopes,
                auth_method=auth_method,
                jwks=jwks,
                client_id=unique_id(partner_id or role or "client"),
                now=self.runtime.clock.now(),
            )
            return Credentials(row.client_id, secret)

    def config_client(self, client_id: str) -> Credentials:
        """A partner file's client, synced into the database, with a fresh secret (as
        `gateway clients secret CLIENT_ID` gives one)."""
        with session_scope(self.runtime.sessionmaker) as session:
            now = self.runtime.clock.now()
            clients.sync_from_partners(session, self.runtime.partners, now)
            row = repo.OAuthClientRepository(session).require(client_id)
            if row.auth_method not in clients.SECRET_METHODS:
                return Credentials(client_id, None)
            return Credentials(client_id, clients.issue_secret(session, self.authority, client_id, now))

    async def token(self, credentials: Credentials, scope: str | None = None) -> str:
        data = {"grant_type": "client_credentials"} | ({"scope": scope} if scope else {})
        response = await self.http.post("/oauth/token", data=data, auth=credentials.basic)
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    async def headers_for(self, credentials: Credentials) -> Headers:
        return {"Authorization": f"Bearer {await self.token(credentials)}"}

    async def internal(self, *scopes: str, role: str = "admin") -> Headers:
        """Headers of an internal client holding `scopes` (default: every internal scope)."""
        return await self._cached(role=role, scopes=tuple(sorted(scopes or INTERNAL_SCOPES)))

    async def supplier(self, partner_id: str, *scopes: str) -> Headers:
        """Headers of a client of `partner_id` holding `scopes` (default: every supplier scope)."""
        return await self._cached(partner_id=partner_id, scopes=tuple(sorted(scopes or SUPPLIER_SCOPES)))

    async def _cached(self, **owner: Any) -> Headers:
        key = tuple(sorted(owner.items()))
        if key not in self._cache:
            self._cache[key] = await self.headers_for(self.register(**owner))
        return self._cache[key]
