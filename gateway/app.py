"""The FastAPI application: `create_app()` builds it, its lifespan owns the `Runtime`.

The OAuth 2 authorization server (`/oauth/...`, `/.well-known/...`), the supplier API
(`/v1/supplier/...`, `/v1/edi`: a partner's client sees its own data only) and the procurement API
(documents, receipts, purchase and production orders, exceptions, the event feed, partner status,
the ERP imports) for internal clients, and the channel endpoints (`/cxml`, `/v1/webhooks/{portal}`,
`/as2`), which authenticate their senders by their own protocol (SharedSecret, signatures). Every
other route but the probes, the OAuth metadata, the JWKS and the OAuth endpoints needs a bearer
token with the route's scope (`gateway.api.deps`).

    app = create_app(Settings())          # the lifespan builds the Runtime and closes it
    app = create_app(runtime=runtime)     # tests: the caller's Runtime, never closed here
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypedDict

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.middleware.cors import CORSMiddleware

import gateway
from gateway.api import problems
from gateway.api.as2 import routes as as2
from gateway.api.context import RequestContext
from gateway.api.cxml import routes as cxml
from gateway.api.documents import routes as documents
from gateway.api.erp import routes as erp
from gateway.api.events import routes as events
from gateway.api.exceptions import routes as exceptions
from gateway.api.health import routes as health
from gateway.api.limits import BodySizeLimit
from gateway.api.metrics import routes as metrics
from gateway.api.oauth import routes as oauth
from gateway.api.operations import routes as operations
from gateway.api.partners import routes as partners
from gateway.api.portal_webhooks import routes as portal_webhooks
from gateway.api.production_orders import routes as production_orders
from gateway.api.purchase_orders import routes as purchase_orders
from gateway.api.services import ApiServices
from gateway.api.supplier import routes as supplier
from gateway.pipeline.runtime import Runtime, build_runtime
from gateway.settings import Settings
from gateway.worker import tasks  # noqa: F401  (the jobs the API queues: receipts, deliveries)

TITLE = "Supplier collaboration gateway"


class State(TypedDict):
    """The lifespan state every request sees as `request.state`."""

    runtime: Runtime


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    """The API. With `runtime`, that one is used (and left open); otherwise the lifespan builds one
    from `settings` (default: `Settings()` from the environment) and closes it on shutdown.
    Building the app touches no database: `create_app().openapi()` works anywhere."""

    app_settings = runtime.settings if runtime is not None else (settings or Settings())
    services = ApiServices()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[State]:
        if runtime is not None:
            try:
                yield {"runtime": runtime}
            finally:
                services.close()
            return
        # Migrations and file loading block: keep them off the event loop.
        built = await run_in_threadpool(build_runtime, app_settings)
        try:
            yield {"runtime": built}
        finally:
            services.close()
            await run_in_threadpool(built.close)

    app = FastAPI(
        title=TITLE,
        version=gateway.__version__,
        description=(
            "The supplier API (a partner's own purchase orders, commitments, shipments, exceptions and "
            "raw EDI) and the procurement API (documents, purchase and production orders, exceptions, "
            "the event feed, partner status, ERP imports), protected by OAuth 2 client credentials."
        ),
        lifespan=lifespan,
    )
    if runtime is not None:
        # For ASGI transports that do not run the lifespan (httpx.ASGITransport).
        app.state.runtime = runtime
    app.state.services = services
    problems.install(app)
    app.add_middleware(BodySizeLimit, max_bytes=app_settings.api.max_body_bytes)
    if app_settings.api.cors_origins:
        # Off unless origins are listed: the API is for servers, not browsers, by default.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=app_settings.api.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
            expose_headers=["Retry-After", "Idempotent-Replayed", "WWW-Authenticate"],
        )
    app.add_middleware(RequestContext)
    routers = (
        health.router,
        oauth.router,
        supplier.router,
        supplier.edi_router,
        documents.router,
        purchase_orders.router,
        production_orders.router,
        partners.router,
        erp.router,
        exceptions.router,
        events.router,
        operations.router,
        metrics.router,
        cxml.router,
        portal_webhooks.router,
        as2.router,
    )
    for router in routers:
        app.include_router(router)
    return app
