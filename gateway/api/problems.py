"""The only place that renders errors: RFC 9457 problem+json.

Our `GatewayError`s carry their status, type and title as class attributes; request validation
errors become `/problems/invalid-request` with the field errors under `errors`, a body that cannot
be parsed at all `/problems/malformed-body` (400); Starlette's other HTTP errors (404 on an unknown
route, 405) keep their status; anything else is a 500 `/problems/internal` (logged with its
traceback; the request's transaction was rolled back). OAuth errors (authlib's, at the token,
introspection and revocation endpoints) become `/problems/oauth/<error>` and keep their RFC 6749
members `error`, `error_description` (and `error_uri`) as extension members. An `AuthError`
carries its RFC 6750 `WWW-Authenticate: Bearer` challenge. A database that cannot be reached
(or that dropped the connection) is `503 /problems/unavailable` with `Retry-After`, so clients
retry instead of treating it as a failure of their request.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway.errors import AuthError, GatewayError
from gateway.kit import metrics

MEDIA_TYPE = "application/problem+json"
UNAVAILABLE_RETRY_AFTER_S = 5
log = logging.getLogger(__name__)


class Problem(BaseModel):
    """RFC 9457 problem details; extension members (`errors`, `retry_after`, ...) may follow."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None


def problem_response(
    status: int,
    title: str,
    *,
    type_: str = "about:blank",
    detail: str | None = None,
    instance: str,
    headers: Mapping[str, str] | None = None,
    **ext: Any,
) -> JSONResponse:
    body: dict[str, Any] = {"type": type_, "title": title, "status": status, "instance": instance}
    if detail is not None:
        body["detail"] = detail
    body.update(ext)
    all_headers = dict(headers or {})
    if "retry_after" in ext:
        all_headers["Retry-After"] = str(ext["retry_after"])
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=all_headers or None)


def render(exc: GatewayError, *, instance: str) -> JSONResponse:
    """The problem+json answer for one of our errors (also for middleware, outside the handlers)."""
    headers = {"WWW-Authenticate": bearer_challenge(exc)} if isinstance(exc, AuthError) else None
    return problem_response(
        exc.status,
        exc.title,
        type_=exc.type,
        detail=exc.detail,
        instance=instance,
        headers=headers,
        **exc.extensions,
    )


def bearer_challenge(exc: AuthError) -> str:
    """The `WWW-Authenticate` value of RFC 6750 section 3 for an authentication failure."""
    parts = ['realm="gateway"']
    if exc.error is not None:
        parts.append(f'error="{exc.error}"')
        parts.append('error_description="{}"'.format(exc.detail.replace('"', "'").replace("\\", "/")))
    if "scope" in exc.extensions:
        parts.append(f'scope="{exc.extensions["scope"]}"')
    return "Bearer " + ", ".join(parts)


# RFC 6749 section 5.2 meanings, for errors authlib raises without a description.
OAUTH_DESCRIPTIONS = {
    "invalid_request": "The request is missing a parameter, repeats one or is malformed.",
    "invalid_client": "Client authentication failed.",
    "invalid_grant": "The grant is invalid.",
    "unauthorized_client": "The client may not use this grant type.",
    "unsupported_grant_type": "The grant type is not supported: use client_credentials.",
    "invalid_scope": "The requested scope is invalid, unknown or malformed.",
    "unsupported_token_type": "The token type is not supported.",
    "insecure_transport": "OAuth 2 needs HTTPS (plain HTTP only on a loopback address).",
}


def oauth_problem(
    status: int, body: Mapping[str, Any], headers: Iterable[tuple[str, str]], *, instance: str
) -> JSONResponse:
    """An RFC 6749 error response (`{"error": ..., "error_description": ...}` and authlib's headers)
    as problem+json keeping those members."""
    error = str(body.get("error") or "server_error")
    if error in ("invalid_client", "invalid_grant", "unauthorized_client", "invalid_token"):
        metrics.record_auth_failure(reason=error)
    description = body.get("error_description") or OAUTH_DESCRIPTIONS.get(error)
    kept = {k: v for k, v in headers if k.lower() != "content-type"}
    ext = {k: body[k] for k in ("error", "error_uri") if body.get(k)}
    if description:
        ext["error_description"] = description
    return problem_response(
        status,
        error.replace("_", " ").capitalize(),
        type_=f"/problems/oauth/{error}",
        detail=str(description) if description else None,
        instance=instance,
        headers=kept,
        **ext,
    )


async def _gateway_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, GatewayError)
    if isinstance(exc, AuthError):  # 401 (no or a bad token) and 403 (a scope missing)
        metrics.record_auth_failure(reason=exc.type.rsplit("/", 1)[-1])
    return render(exc, instance=request.url.path)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "loc": [str(p) for p in e.get("loc", ())],
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in exc.errors()
    ]
    return problem_response(
        422,
        "Invalid request",
        type_="/problems/invalid-request",
        detail="The request does not match the schema.",
        instance=request.url.path,
        errors=errors,
        **await _kept(request),
    )


async def _kept(request: Request) -> dict[str, Any]:
    """`receipt_id` of a refused document whose bytes the route asked to keep (the supplier API's
    posts: `request.state.keep_refused`); the refusal stands without it when they cannot be."""
    keep = getattr(request.state, "keep_refused", None)
    if keep is None:
        return {}
    try:
        receipt_id = await keep()
    except Exception:
        log.exception("a refused body of %s %s could not be kept", request.method, request.url.path)
        return {}
    return {"receipt_id": receipt_id} if receipt_id else {}


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    phrase = HTTPStatus(exc.status_code).phrase
    # FastAPI's only 400: a body that cannot be parsed at all (not UTF-8, not JSON).
    malformed = exc.status_code == 400
    return problem_response(
        exc.status_code,
        "Malformed body" if malformed else phrase,
        type_="/problems/malformed-body" if malformed else "about:blank",
        detail=str(exc.detail) if exc.detail else phrase,
        instance=request.url.path,
        headers=exc.headers,  # e.g. Allow on a 405
        **(await _kept(request) if malformed else {}),
    )


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError)
    log.warning("database unavailable for %s %s: %s", request.method, request.url.path, exc.orig)
    return problem_response(
        503,
        "Service unavailable",
        type_="/problems/unavailable",
        detail="The database is not reachable; nothing was changed. Retry later.",
        instance=request.url.path,
        retry_after=UNAVAILABLE_RETRY_AFTER_S,
    )


async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    # The edge of a request: whatever went wrong is logged in full, the caller gets a problem.
    log.error("unhandled error in %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        500,
        "Internal error",
        type_="/problems/internal",
        detail="The request failed on our side and changed nothing; it was logged. Retry later.",
        instance=request.url.path,
    )


def install(app: FastAPI) -> None:
    """Register the problem+json handlers on `app`."""
    app.add_exception_handler(sa_exc.OperationalError, _database_unavailable)
    app.add_exception_handler(sa_exc.InterfaceError, _database_unavailable)
    app.add_exception_handler(Exception, _unhandled)
    app.add_exception_handler(GatewayError, _gateway_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the problem statuses a route can answer."""
    # No `model`: it would also announce an application/json body, and we only answer problem+json.
    schema = Problem.model_json_schema()
    return {status: {"content": {MEDIA_TYPE: {"schema": schema}}} for status in statuses}
