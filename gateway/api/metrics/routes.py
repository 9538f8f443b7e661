"""`/metrics` for Prometheus: in-process instruments (all local processes in multiprocess mode) and
the database gauges read at scrape time (`gateway.pipeline.observability`). Unauthenticated, like
the probes: bind it where only the scraper reaches it."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool

from gateway.api.deps import RuntimeDep
from gateway.pipeline import observability

router = APIRouter(tags=["health"])


@router.get("/metrics", include_in_schema=False)
async def metrics(runtime: RuntimeDep) -> Response:
    collector = observability.DatabaseCollector(
        runtime.sessionmaker,
        runtime.clock,
        queue_depth=None if runtime.jobs.inline else runtime.jobs.queue_depth,
        queue_name=runtime.jobs.queue_name,
    )
    body = await run_in_threadpool(observability.exposition, collector)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
