"""Request dependencies as `Annotated` aliases: a route's signature shows what it needs.

- `RuntimeDep`: the process's `Runtime` (engine, sessions, partners, maps, clock, jobs), built in the
  app's lifespan and kept in its lifespan state (or the one handed to `create_app`).
- `DbSession`: one session per request. It commits once when the route returns, before the response
  is sent (so a failed commit answers an error instead of a success), and rolls back if the route
  raises. Nothing a route calls commits. For a POST with an `Idempotency-Key` the session is the one
  `api.idempotency` opened, which commits the change together with the stored answer.
- `CurrentClient`: the caller behind the request's bearer token (`tokens.Principal`), checked on
  every request: signature, claims, token and client not revoked, partner known and enabled; then
  the client's rate limit. Scope guards are the same dependency with the scopes the route needs:
  `ProcurementRead`, `ProcurementWrite`, `EventsRead`, `PartnersAdmin` for internal routes;
  `OrdersRead`, `CommitmentsWrite`, `ShipmentsWrite`, `ExceptionsRead`, `EdiWrite` for the supplier
  API, whose value is a `Supplier` (the token's partner: the only partner the route may touch).

A missing or bad token is 401 with a `WWW-Authenticate: Bearer` challenge; a valid token without
the scope is 403 `insufficient_scope` (whatever resource is named, so it tells nothing about other
tenants' data); over the rate limit is 429 with `Retry-After`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlows
from fastapi.security import OAuth2, SecurityScopes
from sqlalchemy.orm import Session

from gateway.api.oauth import scopes, tokens
from gateway.api.oauth.authority import TOKEN_PATH, Authority
from gateway.api.oauth.scopes import InternalScope
from gateway.api.oauth.tokens import Principal
from gateway.api.services import ApiServices
from gateway.errors import AuthError, InsufficientScopeError, MissingTokenError, RateLimitedError
from gateway.partners.model import SupplierScope
from gateway.pipeline.runtime import Runtime
from gateway.store.session import session_scope


def get_runtime(request: Request) -> Runtime:
    """The lifespan's `Runtime`; `app.state.runtime` when one was given to `create_app` and the
    lifespan has not run (an ASGI transport that skips lifespan events)."""
    runtime = getattr(request.state, "runtime", None) or getattr(request.app.state, "runtime", None)
    if not isinstance(runtime, Runtime):
        raise RuntimeError("no Runtime: the app's lifespan has not started")
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_services(request: Request) -> ApiServices:
    services = getattr(request.app.state, "services", None)
    if not isinstance(services, ApiServices):
        raise RuntimeError("no ApiServices: the app was not built by create_app")
    return services


ServicesDep = Annotated[ApiServices, Depends(get_services)]


def get_authority(runtime: RuntimeDep, services: ServicesDep) -> Authority:
    return services.authority(runtime)


AuthorityDep = Annotated[Authority, Depends(get_authority)]


def get_session(request: Request, runtime: RuntimeDep) -> Iterator[Session]:
    held = getattr(request.state, "db_session", None)
    if isinstance(held, Session):  # an Idempotency-Key request: `api.idempotency` commits it
        yield held
        return
    with session_scope(runtime.sessionmaker) as session:
        yield session


# scope="function": the commit (after `yield`) runs when the route returns, before the response.
DbSession = Annotated[Session, Depends(get_session, scope="function")]


# ------------------------------------------------------------------------------ authentication

oauth2_scheme = OAuth2(
    flows=OAuthFlows(
        clientCredentials=OAuthFlowClientCredentials(tokenUrl=TOKEN_PATH, scopes=dict(scopes.DESCRIPTIONS))
    ),
    scheme_name="oauth2",
    description=(
        "OAuth 2 client credentials (client_secret_basic, client_secret_post or private_key_jwt). "
        "Access tokens are RFC 9068 JWTs; send them as `Authorization: Bearer <token>`."
    ),
    auto_error=False,
)


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header."""
    if not authorization:
        raise MissingTokenError("this operation needs an access token (Authorization: Bearer <token>)")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("the Authorization header is not a Bearer token")
    return token.strip()


def authenticate(request: Request, session: Session, runtime: Runtime, authority: Authority) -> Principal:
    """The request's principal, verified once per request (kept on `request.state`)."""
    held = getattr(request.state, "principal", None)
    if isinstance(held, Principal):
        return held
    token = bearer_token(request.headers.get("authorization"))
    principal = tokens.verify(session, authority, token, runtime.clock.now())
    if principal.partner_id is not None and (
        principal.partner_id not in runtime.partners or not runtime.partners.get(principal.partner_id).enabled
    ):
        raise AuthError("the token's partner is not enabled")
    request.state.principal = principal
    return principal


def current_client(
    request: Request,
    security_scopes: SecurityScopes,
    session: DbSession,
    runtime: RuntimeDep,
    services: ServicesDep,
    authority: AuthorityDep,
    _authorization: Annotated[str | None, Depends(oauth2_scheme)],
) -> Principal:
    principal = authenticate(request, session, runtime, authority)
    missing = sorted(set(security_scopes.scopes) - principal.scopes)
    if missing:
        raise InsufficientScopeError(
            f"the token lacks the scope {' '.join(missing)}", scope=" ".join(security_scopes.scopes)
        )
    wait = services.limiter(runtime).take(
        principal.client_id,
        rate_per_minute=principal.rate_limit_per_minute or authority.default_rate_per_minute,
        burst=authority.default_burst,
        now=runtime.clock.now(),
    )
    if wait > 0:
        raise RateLimitedError(
            f"client {principal.client_id} is over its rate limit", retry_after=max(1, math.ceil(wait))
        )
    return principal


CurrentClient = Annotated[Principal, Security(current_client)]


@dataclass(frozen=True)
class Supplier:
    """A supplier's authenticated client: `partner_id` is the only partner its requests may touch."""

    partner_id: str
    client: Principal


def supplier_client(client: CurrentClient) -> Supplier:
    if client.partner_id is None:
        raise InsufficientScopeError("the supplier API is for a partner's client")
    return Supplier(partner_id=client.partner_id, client=client)


ProcurementRead = Annotated[Principal, Security(current_client, scopes=[InternalScope.PROCUREMENT_READ])]
ProcurementWrite = Annotated[Principal, Security(current_client, scopes=[InternalScope.PROCUREMENT_WRITE])]
EventsRead = Annotated[Principal, Security(current_client, scopes=[InternalScope.EVENTS_READ])]
PartnersAdmin = Annotated[Principal, Security(current_client, scopes=[InternalScope.PARTNERS_ADMIN])]

OrdersRead = Annotated[Supplier, Security(supplier_client, scopes=[SupplierScope.ORDERS_READ])]
CommitmentsWrite = Annotated[Supplier, Security(supplier_client, scopes=[SupplierScope.COMMITMENTS_WRITE])]
ShipmentsWrite = Annotated[Supplier, Security(supplier_client, scopes=[SupplierScope.SHIPMENTS_WRITE])]
ExceptionsRead = Annotated[Supplier, Security(supplier_client, scopes=[SupplierScope.EXCEPTIONS_READ])]
EdiWrite = Annotated[Supplier, Security(supplier_client, scopes=[SupplierScope.EDI_WRITE])]
