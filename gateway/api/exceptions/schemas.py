"""Exception cases as the API shows them, and the bodies of the actions on them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from gateway.canonical.exceptions import ExceptionStatus, ExceptionType, OwnerRole, Severity
from gateway.store import models as db

# Who acted: a user name or a system id. No control characters (PostgreSQL refuses NUL).
Actor = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f\x7f]+$")]
Note = Annotated[str, StringConstraints(min_length=1, max_length=4000, pattern=r"^[^\x00]+$")]


class ExceptionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    type: ExceptionType
    subject: str
    partner_id: str
    po_number: str | None
    line_number: str | None
    severity: Severity
    owner: OwnerRole
    status: ExceptionStatus
    expected: str | None
    actual: str | None
    message: str
    document_id: str | None
    impacted_production_orders: list[str]
    details: dict[str, str]
    opened_at: dt.datetime
    updated_at: dt.datetime
    resolved_at: dt.datetime | None


class ExceptionListRead(BaseModel):
    items: list[ExceptionRead]
    limit: int
    offset: int
    next_offset: int | None


class ExceptionHistoryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: dt.datetime
    actor: str
    action: str
    note: str | None


class SourceDocumentRead(BaseModel):
    """A document the exception came from: its summary, its envelope's control numbers, and where
    the bytes it was read from are (`raw_url`, when it came in through a receipt)."""

    id: str
    doc_type: str
    format: str
    partner_id: str | None
    interchange_control: str | None
    group_control: str | None
    set_control: str | None
    status: db.DocumentStatus
    receipt_id: str | None
    received_at: dt.datetime | None
    raw_url: str | None = Field(description="`/v1/receipts/{receipt_id}/raw`: the bytes as received.")


class ExceptionDetailRead(ExceptionRead):
    history: list[ExceptionHistoryRead]
    source_documents: list[SourceDocumentRead] = Field(
        description="The document(s) that opened the exception; empty for monitors and ERP imports."
    )


class ExceptionActionCreate(BaseModel):
    """Acknowledge or resolve: who does it, and optionally why."""

    model_config = ConfigDict(extra="forbid")

    actor: Actor
    note: Note | None = None


class ExceptionNoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    actor: Actor
    note: Note = Field(description="The note's text.")
