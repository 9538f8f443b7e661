"""Documents as the API shows them: a summary for lists, the full trace for one."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict

from gateway import canonical
from gateway.canonical.exceptions import ExceptionStatus, ExceptionType
from gateway.store import models as db


class LocationRead(BaseModel):
    """Where an issue sits (every field optional)."""

    file: str | None = None
    interchange: str | None = None
    group: str | None = None
    transaction: str | None = None
    segment_position: int | None = None
    segment_tag: str | None = None
    element: int | None = None
    component: int | None = None
    offset: int | None = None
    path: str | None = None


class IssueRead(BaseModel):
    """One validation finding (`gateway.formats.issues.Issue`)."""

    code: str
    severity: str | None = None
    level: str | None = None
    location: LocationRead = LocationRead()
    message: str
    bad_value: str | None = None


class DocumentSummaryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    partner_id: str | None
    direction: db.Direction
    format: str
    doc_type: str
    version: str | None
    status: db.DocumentStatus
    receipt_id: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class DocumentListRead(BaseModel):
    items: list[DocumentSummaryRead]
    limit: int
    offset: int
    next_offset: int | None


class ProcessingStepRead(BaseModel):
    """One line of the trace: a stage and how it ended."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    receipt_id: str | None
    document_id: str | None
    stage: db.Stage
    status: db.StepStatus
    detail: str | None
    issues: list[IssueRead]
    at: dt.datetime


class DocumentExceptionRead(BaseModel):
    """An exception the document opened (or last touched): `/v1/exceptions/{id}` has its history."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    type: ExceptionType
    status: ExceptionStatus
    po_number: str | None
    line_number: str | None
    message: str


class DocumentRead(DocumentSummaryRead):
    """A document with everything that explains it: envelope controls, issues, trace, events and
    the exceptions it raised."""

    interchange_id: str | None
    interchange_control: str | None
    group_control: str | None
    set_control: str | None
    correlation_id: str | None
    issues: list[IssueRead]
    steps: list[ProcessingStepRead]
    events: list[canonical.Event]
    exceptions: list[DocumentExceptionRead]


class InterchangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    format: str
    sender: str
    receiver: str
    control_number: str
    partner_id: str | None
    is_test: bool
    status: db.InterchangeStatus
    issues: list[IssueRead]


class ReceiptRead(BaseModel):
    """What arrived and everything that came of it: interchanges, documents, the steps (the trace
    from the raw bytes, at `raw_url`, to the documents, whose pages show their events and exceptions)."""

    id: str
    channel: str
    file_name: str | None
    partner_id: str | None
    content_sha256: str
    size: int
    received_at: dt.datetime
    status: db.ReceiptStatus
    error: str | None
    duplicate_of_id: str | None
    raw_url: str
    interchanges: list[InterchangeRead]
    documents: list[DocumentSummaryRead]
    steps: list[ProcessingStepRead]
