"""The authorization server's endpoints.

- `POST /oauth/token`: client credentials; the client authenticates by `client_secret_basic`,
  `client_secret_post` or `private_key_jwt` (RFC 7523).
- `POST /oauth/introspect` (RFC 7662) and `POST /oauth/revoke` (RFC 7009): the client authenticates
  the same way; introspection answers only administrators (`partners:admin`).
- `GET /.well-known/oauth-authorization-server` (RFC 8414) and `GET /.well-known/jwks.json`.

The POSTs take `application/x-www-form-urlencoded` bodies, as OAuth 2 does; errors are problem+json
with the RFC 6749 `error` and `error_description` members. Token requests are rate limited per
client id (or per address when no client id is given), like every other client request.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from gateway.api import problems
from gateway.api.deps import AuthorityDep, DbSession, RuntimeDep, ServicesDep
from gateway.api.oauth import keys, schemas, server
from gateway.api.oauth import scopes as scope_catalogue
from gateway.api.oauth.authority import (
    INTROSPECTION_PATH,
    JWKS_PATH,
    METADATA_PATH,
    REVOCATION_PATH,
    TOKEN_PATH,
)
from gateway.errors import RateLimitedError

router = APIRouter(tags=["oauth"])

_FORM_FIELDS: dict[str, dict[str, Any]] = {
    "grant_type": {"type": "string", "enum": ["client_credentials"]},
    "scope": {"type": "string", "description": "Space-separated; default: every scope of the client."},
    "client_id": {"type": "string", "description": "client_secret_post"},
    "client_secret": {"type": "string", "description": "client_secret_post"},
    "client_assertion_type": {
        "type": "string",
        "enum": ["urn:ietf:params:oauth:client-assertion-type:jwt-bearer"],
        "description": "private_key_jwt",
    },
    "client_assertion": {
        "type": "string",
        "description": "private_key_jwt: a JWT signed with the client's key",
    },
}
_TOKEN_FIELDS: dict[str, dict[str, Any]] = {
    "token": {"type": "string"},
    "token_type_hint": {"type": "string", "enum": ["access_token", "refresh_token"]},
}


def _form_body(fields: dict[str, dict[str, Any]], required: list[str]) -> dict[str, Any]:
    schema = {"type": "object", "properties": fields, "required": required}
    return {
        "requestBody": {
            "required": True,
            "content": {server.FORM_MEDIA_TYPE: {"schema": schema}},
        }
    }


_CLIENT_AUTH = {
    key: _FORM_FIELDS[key]
    for key in ("client_id", "client_secret", "client_assertion_type", "client_assertion")
}


async def _run(
    request: Request, runtime: RuntimeDep, services: ServicesDep, authority: AuthorityDep, endpoint: str
) -> Response:
    form = await server.read_form(request)
    if isinstance(form, Response):
        return form
    key = server.claimed_client_id(form) or (request.client.host if request.client else "unknown")
    wait = services.limiter(runtime).take(
        f"oauth:{key}",
        rate_per_minute=authority.default_rate_per_minute,
        burst=authority.default_burst,
        now=runtime.clock.now(),
    )
    if wait > 0:
        error = RateLimitedError("too many token requests", retry_after=max(1, math.ceil(wait)))
        return problems.render(error, instance=request.url.path)
    return await run_in_threadpool(server.respond, runtime, authority, form, endpoint, request.url.path)


@router.post(
    TOKEN_PATH,
    response_model=schemas.TokenRead,
    summary="An access token for a client (client credentials grant)",
    responses=problems.responses(400, 401, 413, 429),
    openapi_extra=_form_body(_FORM_FIELDS, ["grant_type"]),
)
async def token(
    request: Request, runtime: RuntimeDep, services: ServicesDep, authority: AuthorityDep
) -> Response:
    return await _run(request, runtime, services, authority, "token")


@router.post(
    INTROSPECTION_PATH,
    response_model=schemas.IntrospectionRead,
    summary="Introspect an access token (RFC 7662; administrators)",
    responses=problems.responses(400, 401, 413, 429),
    openapi_extra=_form_body({**_TOKEN_FIELDS, **_CLIENT_AUTH}, ["token"]),
)
async def introspect(
    request: Request, runtime: RuntimeDep, services: ServicesDep, authority: AuthorityDep
) -> Response:
    return await _run(request, runtime, services, authority, "introspection")


@router.post(
    REVOCATION_PATH,
    response_model=schemas.RevocationRead,
    summary="Revoke an access token (RFC 7009)",
    responses=problems.responses(400, 401, 413, 429),
    openapi_extra=_form_body({**_TOKEN_FIELDS, **_CLIENT_AUTH}, ["token"]),
)
async def revoke(
    request: Request, runtime: RuntimeDep, services: ServicesDep, authority: AuthorityDep
) -> Response:
    return await _run(request, runtime, services, authority, "revocation")


@router.get(
    METADATA_PATH,
    response_model=schemas.MetadataRead,
    response_model_exclude_none=True,
    summary="Authorization server metadata (RFC 8414)",
    responses=problems.responses(503),
)
def metadata(authority: AuthorityDep) -> schemas.MetadataRead:
    issuer = authority.issuer
    methods = list(server.AUTH_METHODS)
    return schemas.MetadataRead(
        issuer=issuer,
        token_endpoint=issuer + TOKEN_PATH,
        jwks_uri=issuer + JWKS_PATH,
        introspection_endpoint=issuer + INTROSPECTION_PATH,
        revocation_endpoint=issuer + REVOCATION_PATH,
        scopes_supported=list(scope_catalogue.ALL_SCOPES),
        # No authorization endpoint (client credentials only): no response type is supported.
        response_types_supported=[],
        grant_types_supported=[server.GRANT_TYPE],
        token_endpoint_auth_methods_supported=methods,
        token_endpoint_auth_signing_alg_values_supported=list(server.ASSERTION_ALGORITHMS),
        introspection_endpoint_auth_methods_supported=methods,
        revocation_endpoint_auth_methods_supported=methods,
        service_documentation=issuer + "/docs",
    )


@router.get(
    JWKS_PATH,
    response_model=schemas.JwksRead,
    summary="The public keys that verify the gateway's access tokens (JWK Set)",
    responses=problems.responses(503),
)
def jwks(
    session: DbSession, runtime: RuntimeDep, authority: AuthorityDep, response: Response
) -> schemas.JwksRead:
    # Short: after a rotation, tokens signed by the new key appear within a minute.
    response.headers["Cache-Control"] = "public, max-age=60"
    return schemas.JwksRead(**keys.jwks(session, runtime.clock.now()))
