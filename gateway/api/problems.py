"""The only place that renders errors: RFC 9457 problem+json.

Our `GatewayError`s carry their status, type and title as class attributes; request validation
errors become `/problems/invalid-request` with the field errors under `errors`; Starlette's HTTP
errors (404 on an unknown route, 405) keep their status; a database that cannot be reached (or
that dropped the connection) is `503 /problems/unavailable` with `Retry-After`, so clients retry
instead of treating it as a failure of their request.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway.errors import GatewayError

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
    return problem_response(
        exc.status, exc.title, type_=exc.type, detail=exc.detail, instance=instance, **exc.extensions
    )


async def _gateway_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, GatewayError)
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
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    phrase = HTTPStatus(exc.status_code).phrase
    return problem_response(
        exc.status_code,
        phrase,
        detail=str(exc.detail) if exc.detail else phrase,
        instance=request.url.path,
        headers=exc.headers,  # e.g. Allow on a 405
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


def install(app: FastAPI) -> None:
    """Register the problem+json handlers on `app`."""
    app.add_exception_handler(sa_exc.OperationalError, _database_unavailable)
    app.add_exception_handler(sa_exc.InterfaceError, _database_unavailable)
    app.add_exception_handler(GatewayError, _gateway_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the problem statuses a route can answer."""
    # No `model`: it would also announce an application/json body, and we only answer problem+json.
    schema = Problem.model_json_schema()
    return {status: {"content": {MEDIA_TYPE: {"schema": schema}}} for status in statuses}
