"""A request body size limit (default 5 MB): larger bodies are refused with a 413 problem+json.

A declared `Content-Length` over the limit is refused before anything is read; a body sent without
one (chunked) is counted as it arrives and refused once it passes the limit.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.api import problems
from gateway.errors import RequestTooLargeError

DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024


class BodySizeLimit:
    """ASGI middleware refusing request bodies over `max_bytes`."""

    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        error = RequestTooLargeError(
            f"the request body is over {self.max_bytes} bytes", max_bytes=self.max_bytes
        )
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await problems.render(error, instance=scope["path"])(scope, receive, send)
            return
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise error  # rendered by the GatewayError handler while the route reads the body
            return message

        await self.app(scope, counting_receive, send)
