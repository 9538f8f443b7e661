"""What a portal is answered when its webhook is accepted."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class WebhookDocumentRead(BaseModel):
    document_id: str
    doc_type: str
    status: str
    events: int
    issues: int


class WebhookReceiptRead(BaseModel):
    """`processed` (inline), `queued` (a worker processes it) or `duplicate` (this webhook-id was
    received before: nothing changed)."""

    status: Literal["processed", "queued", "duplicate"]
    receipt_id: str
    partner_id: str
    webhook_id: str
    duplicate_of: str | None = None
    documents: list[WebhookDocumentRead] = []
