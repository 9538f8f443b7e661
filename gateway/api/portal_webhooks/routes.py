"""`POST /v1/webhooks/{portal}`: a supplier portal's event, signed with Standard Webhooks.

Verified (`webhook-id`, `webhook-timestamp` within five minutes, any `v1,` signature of
`webhook-signature` by any `whsec_` key of the portal's partners), attributed to the partner whose
account the payload names, de-duplicated by `webhook-id`, mapped with the partner's JSON map
(`pipeline.portal_webhooks`). 200 with what became of it (a repeated webhook-id answers 200
`duplicate` and changes nothing); 401 problem+json for a missing, stale or wrong signature, 404
for a portal no partner uses, 422 for a body that is not JSON or names no partner's account. The
bytes are kept in every case.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from starlette.concurrency import run_in_threadpool

from gateway.api import problems
from gateway.api.deps import RuntimeDep
from gateway.api.portal_webhooks import schemas
from gateway.pipeline import portal_webhooks

router = APIRouter(tags=["portal webhooks"])

_BODY: dict[str, Any] = {
    "application/json": {"schema": {"type": "object", "description": "the portal's event"}}
}
PortalName = Annotated[
    str, Path(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$", description="the portal, as in PortalSettings")
]


@router.post(
    "/v1/webhooks/{portal}",
    response_model=schemas.WebhookReceiptRead,
    summary="Receive a supplier portal's signed event (Standard Webhooks)",
    responses=problems.responses(401, 404, 413, 422),
    openapi_extra={"requestBody": {"required": True, "content": _BODY}},
)
async def receive_webhook(
    portal: PortalName, request: Request, runtime: RuntimeDep
) -> schemas.WebhookReceiptRead:
    body = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}
    outcome = await run_in_threadpool(portal_webhooks.receive, runtime, portal, headers, body)
    return schemas.WebhookReceiptRead(
        status=outcome.status,
        receipt_id=outcome.receipt_id,
        partner_id=outcome.partner_id,
        webhook_id=outcome.webhook_id,
        duplicate_of=outcome.duplicate_of,
        documents=[
            schemas.WebhookDocumentRead(
                document_id=d.document_id,
                doc_type=d.doc_type,
                status=d.status,
                events=d.events,
                issues=d.issues,
            )
            for d in outcome.documents
        ],
    )
