"""`POST /as2`: AS2 messages from partners (answered with an MDN) and partners' asynchronous MDNs.

The body is read as bytes, untouched (signatures cover it byte for byte), and handed with the
request's headers to `gateway.pipeline.as2_inbound`. The answer is the MDN itself (a synchronous
MDN is `multipart/report`, or `multipart/signed` around one), a short text when the MDN goes
asynchronously, or problem+json when the message cannot even be stored (503: the partner resends)
or is not an AS2 message (400).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from gateway.api import problems
from gateway.api.deps import RuntimeDep
from gateway.pipeline import as2_inbound

router = APIRouter(tags=["as2"])

_BODY = {
    "required": True,
    "content": {
        media: {"schema": {"type": "string", "format": "binary"}}
        for media in (
            "application/pkcs7-mime",
            "multipart/signed",
            "multipart/report",
            "application/edi-x12",
            "application/octet-stream",
        )
    },
}
_MDN = {
    "description": "The MDN (synchronous), or a short text when the MDN follows asynchronously",
    "content": {
        "multipart/report": {"schema": {"type": "string", "format": "binary"}},
        "multipart/signed": {"schema": {"type": "string", "format": "binary"}},
        "text/plain": {"schema": {"type": "string"}},
    },
}


@router.post(
    "/as2",
    summary="Receive an AS2 message or an asynchronous MDN",
    response_class=Response,
    responses={200: _MDN, **problems.responses(400, 413, 503)},
    openapi_extra={"requestBody": _BODY},
)
async def receive_as2(request: Request, runtime: RuntimeDep) -> Response:
    body = await request.body()
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
    answer = await run_in_threadpool(as2_inbound.receive, runtime, headers, body)
    content_type = next((v for k, v in answer.headers if k.lower() == "content-type"), "text/plain")
    extra = {k: v for k, v in answer.headers if k.lower() != "content-type"}
    return Response(
        content=answer.body, status_code=answer.status_code, headers=extra, media_type=content_type
    )
