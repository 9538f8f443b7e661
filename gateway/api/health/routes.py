"""`/healthz`: the process answers. `/readyz`: the database answers `SELECT 1` and, when Redis is
configured, Redis answers PING (503 problem+json with `Retry-After` otherwise)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response

import gateway
from gateway.api import problems
from gateway.api.deps import RuntimeDep
from gateway.api.health import schemas

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])

RETRY_AFTER_S = 5


@router.get("/healthz", response_model=schemas.HealthRead, summary="The process is up")
def healthz() -> schemas.HealthRead:
    return schemas.HealthRead(version=gateway.__version__)


@router.get(
    "/readyz",
    response_model=schemas.ReadinessRead,
    summary="The database (and Redis, when configured) is reachable",
    responses=problems.responses(503),
)
def readyz(runtime: RuntimeDep, request: Request) -> schemas.ReadinessRead | Response:
    try:
        # A raw DBAPI connection: the engine's SQLite `begin` hook opens BEGIN IMMEDIATE (the write
        # lock), which a probe must not take nor wait for.
        connection = runtime.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
        finally:
            connection.close()
    except Exception as error:  # the probe is an edge: any failure to answer means not ready
        log.warning("readiness: database unreachable: %s", error)
        return problems.problem_response(
            503,
            "Service not ready",
            type_="/problems/not-ready",
            detail="The database is not reachable.",
            instance=request.url.path,
            retry_after=RETRY_AFTER_S,
        )
    if not runtime.jobs.inline and not runtime.jobs.ping():
        return problems.problem_response(
            503,
            "Service not ready",
            type_="/problems/not-ready",
            detail="Redis is not reachable.",
            instance=request.url.path,
            retry_after=RETRY_AFTER_S,
        )
    return schemas.ReadinessRead(queue="inline" if runtime.jobs.inline else "ok")
