"""`/v1/documents` (list, one with its trace), `/v1/receipts/{id}` (what a receipt became) and
`/v1/receipts/{id}/raw` (the bytes as received)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.api import problems
from gateway.api.deps import DbSession, ProcurementRead
from gateway.api.documents import schemas
from gateway.api.params import DEFAULT_LIMIT, Key, Limit, Offset, PartnerFilter, next_offset
from gateway.errors import NotFoundError
from gateway.store import models as db
from gateway.store import repositories as repo

router = APIRouter(tags=["documents"], responses=problems.responses(401, 403, 429))

DocumentId = Annotated[Key, Path(description="The document id.")]
ReceiptId = Annotated[Key, Path(description="The receipt id.")]
MAX_EVENTS = 1000


@router.get(
    "/v1/documents",
    response_model=schemas.DocumentListRead,
    summary="Documents, newest first",
    responses=problems.responses(422),
)
def list_documents(
    session: DbSession,
    caller: ProcurementRead,
    partner_id: PartnerFilter = None,
    status: Annotated[db.DocumentStatus | None, Query()] = None,
    doc_type: Annotated[Key | None, Query(description="e.g. 855, 856, 997.")] = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> schemas.DocumentListRead:
    rows = repo.DocumentRepository(session).list(
        partner_id=partner_id, status=status, doc_type=doc_type, limit=limit + 1, offset=offset
    )
    return schemas.DocumentListRead(
        items=[schemas.DocumentSummaryRead.model_validate(row) for row in rows[:limit]],
        limit=limit,
        offset=offset,
        next_offset=next_offset(offset, limit, len(rows)),
    )


@router.get(
    "/v1/documents/{document_id}",
    response_model=schemas.DocumentRead,
    summary="One document with its issues, processing steps and events",
    responses=problems.responses(404, 422),
)
def get_document(
    document_id: DocumentId, session: DbSession, caller: ProcurementRead
) -> schemas.DocumentRead:
    row = repo.DocumentRepository(session).get(document_id)
    if row is None:
        raise NotFoundError(f"document {document_id} does not exist")
    interchange = (
        repo.InterchangeRepository(session).get(row.interchange_id)
        if row.interchange_id is not None
        else None
    )
    steps = repo.ProcessingStepRepository(session).for_document(document_id)
    return schemas.DocumentRead(
        **schemas.DocumentSummaryRead.model_validate(row).model_dump(),
        interchange_id=row.interchange_id,
        interchange_control=interchange.control_number if interchange is not None else None,
        group_control=row.group_control,
        set_control=row.set_control,
        correlation_id=row.correlation_id,
        issues=[schemas.IssueRead.model_validate(issue) for issue in row.issues],
        steps=[schemas.ProcessingStepRead.model_validate(step) for step in steps],
        events=[repo.OutboxRepository.event(event) for event in _events_of(session, document_id)],
        exceptions=[
            schemas.DocumentExceptionRead.model_validate(case)
            for case in repo.ExceptionRepository(session).for_document(document_id)
        ],
    )


def _events_of(session: Session, document_id: str) -> Sequence[db.OutboxEvent]:
    # OutboxRepository has no per-document query yet; this one belongs there (store/ owns queries).
    query = (
        select(db.OutboxEvent)
        .where(db.OutboxEvent.document_id == document_id)
        .order_by(db.OutboxEvent.cursor)
        .limit(MAX_EVENTS)
    )
    return session.scalars(query).all()


@router.get(
    "/v1/receipts/{receipt_id}",
    response_model=schemas.ReceiptRead,
    summary="One receipt with its interchanges, documents and processing steps",
    responses=problems.responses(404, 422),
)
def get_receipt(receipt_id: ReceiptId, session: DbSession, caller: ProcurementRead) -> schemas.ReceiptRead:
    row = repo.ReceiptRepository(session).require(receipt_id)
    documents = repo.DocumentRepository(session).list(receipt_id=receipt_id, limit=MAX_EVENTS)
    return schemas.ReceiptRead(
        id=row.id,
        channel=row.channel,
        file_name=row.file_name,
        partner_id=row.partner_id,
        content_sha256=row.content_sha256,
        size=row.size,
        received_at=row.received_at,
        status=row.status,
        error=row.error,
        duplicate_of_id=row.duplicate_of_id,
        raw_url=f"/v1/receipts/{quote(row.id, safe='')}/raw",
        interchanges=[
            schemas.InterchangeRead.model_validate(i)
            for i in repo.InterchangeRepository(session).for_receipt(receipt_id)
        ],
        documents=[schemas.DocumentSummaryRead.model_validate(d) for d in documents],
        steps=[
            schemas.ProcessingStepRead.model_validate(s)
            for s in repo.ProcessingStepRepository(session).for_receipt(receipt_id)
        ],
    )


@router.get(
    "/v1/receipts/{receipt_id}/raw",
    response_class=Response,
    summary="The bytes of a receipt, exactly as received",
    responses={
        200: {"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
        **problems.responses(404, 422),
    },
)
def get_receipt_raw(receipt_id: ReceiptId, session: DbSession, caller: ProcurementRead) -> Response:
    row = repo.ReceiptRepository(session).require(receipt_id)
    name = row.file_name or f"{row.id}.bin"
    return Response(
        content=row.raw,
        media_type="application/octet-stream",
        headers={"Content-Disposition": _attachment(name)},
    )


def _attachment(name: str) -> str:
    """`attachment` with an ASCII fallback and the RFC 5987 UTF-8 name."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1] or "receipt.bin"
    ascii_name = "".join(c if 0x20 <= ord(c) < 0x7F and c not in '"\\' else "_" for c in base)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(base, safe='')}"
