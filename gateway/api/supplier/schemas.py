"""What a supplier's client sends and sees: its purchase orders, the commitments and shipments it
posts, what became of a posted document, and the exceptions about its lines and documents.

The request bodies are the supplier API's document format (`gateway.pipeline.intake.api`): the
receipt keeps them as posted and the pipeline reads them again from those bytes.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gateway.api.documents.schemas import IssueRead
from gateway.api.purchase_orders.schemas import PurchaseOrderLineRead
from gateway.canonical.exceptions import ExceptionStatus, ExceptionType, Severity
from gateway.pipeline.intake import api as api_intake
from gateway.store import models as db


class CommitmentCreate(api_intake.CommitmentSubmission):
    """Your answer to one of your purchase orders: a commitment per line (an 855 as JSON).

    Without a `schedule`, a line's `quantity` and `date` are one split; with one, each split is a
    quantity on a date (`date_kind` delivery or ship). A newer `issued_at` replaces what you said
    before; an older one is recorded as stale and changes nothing."""


class ShipmentCreate(api_intake.ShipmentSubmission):
    """A ship notice (an 856 as JSON). The same `shipment_id` again replaces it (never counted
    twice); `purpose: delete` withdraws it."""


class SupplierPurchaseOrderRead(BaseModel):
    po_number: str
    revision: int
    status: db.PurchaseOrderStatus
    order_date: dt.date
    currency: str
    plant: str | None
    ship_to: str | None
    ship_to_name: str | None
    buyer_name: str | None
    buyer_contact: str | None
    updated_at: dt.datetime
    lines: list[PurchaseOrderLineRead] = Field(
        description="Every line (one order), or the open lines only (the list with `open=true`)."
    )


class SupplierPurchaseOrderListRead(BaseModel):
    items: list[SupplierPurchaseOrderRead]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last one.")


class SupplierExceptionRead(BaseModel):
    """A problem the buyer sees with one of your lines or documents."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    type: ExceptionType
    po_number: str | None
    line_number: str | None
    severity: Severity
    status: ExceptionStatus
    expected: str | None
    actual: str | None
    message: str
    document_id: str | None
    opened_at: dt.datetime
    updated_at: dt.datetime
    resolved_at: dt.datetime | None


class SupplierExceptionListRead(BaseModel):
    items: list[SupplierExceptionRead]
    next_cursor: str | None


class DocumentResultRead(BaseModel):
    document_id: str
    doc_type: str
    control_number: str
    status: str
    events: int
    issues: list[IssueRead]
    note: str | None


class AcknowledgementRead(BaseModel):
    kind: str = Field(description="997, 999, TA1 (X12), as written to you.")
    interchange_control: str | None
    content: str


class IntakeRead(BaseModel):
    """What became of a posted document: stored, read, correlated, acknowledged."""

    receipt_id: str
    status: Literal["processed", "duplicate", "failed", "received"] = Field(
        description="`received`: stored, but processing failed and is retried (`detail` says why)."
    )
    detail: str | None = Field(default=None, description="Why it failed (`failed`, `received`).")
    duplicate_of: str | None = Field(description="The earlier receipt with the same bytes, for a duplicate.")
    documents: list[DocumentResultRead]
    acknowledgements: list[AcknowledgementRead]
    exceptions: list[SupplierExceptionRead] = Field(description="The exceptions the documents opened.")


class SupplierDocumentRead(BaseModel):
    id: str
    format: str
    doc_type: str
    control_number: str | None
    status: db.DocumentStatus
    receipt_id: str | None
    created_at: dt.datetime
    issues: list[IssueRead]
    exceptions: list[SupplierExceptionRead]
