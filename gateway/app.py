"""The FastAPI application: `create_app()` builds it, its lifespan owns the `Runtime`.

A read API over documents, receipts, purchase orders, exceptions and the event feed, and the
internal procurement write API (ERP purchase orders, production orders, goods receipts, stock), for
the demo and internal procurement systems. NO AUTHENTICATION YET: OAuth 2 (client credentials, per-partner
scopes) comes in a later issue; until then serve it only where every caller may see everything.

    app = create_app(Settings())          # the lifespan builds the Runtime and closes it
    app = create_app(runtime=runtime)     # tests: the caller's Runtime, never closed here
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypedDict

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

import gateway
from gateway.api import problems
from gateway.api.as2 import routes as as2
from gateway.api.cxml import routes as cxml
from gateway.api.documents import routes as documents
from gateway.api.erp import routes as erp
from gateway.api.events import routes as events
from gateway.api.exceptions import routes as exceptions
from gateway.api.health import routes as health
from gateway.api.limits import BodySizeLimit
from gateway.api.portal_webhooks import routes as portal_webhooks
from gateway.api.purchase_orders import routes as purchase_orders
from gateway.pipeline.runtime import Runtime, build_runtime
from gateway.settings import Settings
from gateway.worker import tasks  # noqa: F401  (registers the jobs the cXML and webhook routes enqueue)

TITLE = "Supplier collaboration gateway"


class State(TypedDict):
    """The lifespan state every request sees as `request.state`."""

    runtime: Runtime


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    """The API. With `runtime`, that one is used (and left open); otherwise the lifespan builds one
    from `settings` (default: `Settings()` from the environment) and closes it on shutdown.
    Building the app touches no database: `create_app().openapi()` works anywhere."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[State]:
        if runtime is not None:
            yield {"runtime": runtime}
            return
        # Migrations and file loading block: keep them off the event loop.
        built = await run_in_threadpool(build_runtime, settings or Settings())
        try:
            yield {"runtime": built}
        finally:
            await run_in_threadpool(built.close)

    app = FastAPI(
        title=TITLE,
        version=gateway.__version__,
        description=(
            "Documents, purchase orders, exceptions and the event feed; ERP imports. No authentication yet."
        ),
        lifespan=lifespan,
    )
    if runtime is not None:
        # For ASGI transports that do not run the lifespan (httpx.ASGITransport).
        app.state.runtime = runtime
    problems.install(app)
    app.add_middleware(BodySizeLimit)
    routers = (
        health.router,
        documents.router,
        purchase_orders.router,
        erp.router,
        exceptions.router,
        events.router,
        cxml.router,
        portal_webhooks.router,
        as2.router,
    )
    for router in routers:
        app.include_router(router)
    return app
