"""Request context: a correlation id per request, bound to the logs and echoed in the response.

A caller's `X-Correlation-Id` (printable, at most 64 characters) is kept, so one id follows a
document from the caller's system through ours; otherwise a new one is made. Receipts stored by
a request keep their own id (the receipt id) as the document's correlation id.
"""

from __future__ import annotations

import re
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.kit import logs, tracing

HEADER = b"x-correlation-id"
_VALID = re.compile(rb"^[\x21-\x7e]{1,64}$")


class RequestContext:
    """ASGI middleware: bind the request's correlation id (and a span when tracing is on)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(HEADER)
        cid = given.decode() if given is not None and _VALID.match(given) else uuid.uuid4().hex

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (HEADER, cid.encode())]
            await send(message)

        with (
            logs.bound(correlation_id=cid),
            tracing.span(f"{scope['method']} {scope['path']}", correlation_id=cid),
        ):
            await self.app(scope, receive, send_with_id)
