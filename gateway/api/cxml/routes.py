"""`POST /cxml`: one endpoint for every cXML request a partner (or its network) posts.

The body is the cXML document as it is (`text/xml`). The answer is always a cXML Response: HTTP
200 with the cXML Status saying what happened (200 processed, 201 queued, 400 invalid, 401 bad
credentials, 403 partner disabled, 406 not readable, 450 not implemented), as the cXML Reference
Guide asks (a reply without valid cXML is a transport error the sender retries), and HTTP 500 with
cXML Status 500 when the gateway failed (the sender retries). The bytes are stored before anything
else (`pipeline.cxml_requests`). Bodies over 5 MB get a 413 problem+json from the size limit.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from gateway.api import problems
from gateway.api.deps import RuntimeDep
from gateway.formats.cxml.writer import StatusCode, response
from gateway.pipeline import cxml_requests

log = logging.getLogger(__name__)
router = APIRouter(tags=["cXML"])
MEDIA_TYPE = "text/xml; charset=utf-8"

_XML: dict[str, Any] = {
    "text/xml": {"schema": {"type": "string", "format": "binary", "description": "a cXML document"}}
}
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "A cXML Response; its Status code says what happened", "content": _XML},
    **problems.responses(413),
    500: {"description": "A cXML Response with Status 500: the gateway failed, retry", "content": _XML},
}


@router.post(
    "/cxml",
    summary="Post a cXML request (ConfirmationRequest, ShipNoticeRequest); answered with a cXML Response",
    response_class=Response,
    responses=RESPONSES,
    openapi_extra={"requestBody": {"required": True, "content": _XML}},
)
async def post_cxml(request: Request, runtime: RuntimeDep) -> Response:
    data = await request.body()
    remote = request.client.host if request.client is not None else None
    try:
        answer = await run_in_threadpool(cxml_requests.receive, runtime, data, remote=remote)
    except Exception:  # the outer edge: the sender gets a Status it retries on
        log.exception("cXML post failed")
        body = response(
            StatusCode.INTERNAL_SERVER_ERROR,
            payload_id=f"{uuid.uuid4()}@gateway",
            timestamp=runtime.clock.now(),
            message="the gateway could not process the request; retry later",
        )
        return Response(body, status_code=500, media_type=MEDIA_TYPE)
    status = 500 if answer.code.retryable else 200
    headers = {"X-Receipt-Id": answer.receipt_id}
    return Response(answer.body, status_code=status, media_type=MEDIA_TYPE, headers=headers)
