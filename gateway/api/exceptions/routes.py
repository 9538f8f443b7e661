"""`/v1/exceptions`: the queue a buyer, planner or operator works through (oldest first)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, status
from sqlalchemy.orm import Session

from gateway.api import problems
from gateway.api.deps import DbSession, ProcurementRead, ProcurementWrite, RuntimeDep
from gateway.api.exceptions import schemas
from gateway.api.idempotency import IdempotentRoute
from gateway.api.params import DEFAULT_LIMIT, IsoDatetime, Key, Limit, Offset, PartnerFilter, next_offset
from gateway.canonical.exceptions import ExceptionStatus, ExceptionType, OwnerRole, Severity
from gateway.store import models as db
from gateway.store import repositories as repo

router = APIRouter(
    tags=["exceptions"], responses=problems.responses(401, 403, 429), route_class=IdempotentRoute
)

ExceptionId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The exception id.")]


@router.get(
    "/v1/exceptions",
    response_model=schemas.ExceptionListRead,
    summary="Exceptions, oldest first",
    responses=problems.responses(422),
)
def list_exceptions(
    session: DbSession,
    runtime: RuntimeDep,
    caller: ProcurementRead,
    type: Annotated[ExceptionType | None, Query()] = None,
    partner_id: PartnerFilter = None,
    po_number: Annotated[Key | None, Query()] = None,
    status: Annotated[ExceptionStatus | None, Query()] = None,
    owner: Annotated[OwnerRole | None, Query()] = None,
    severity: Annotated[Severity | None, Query()] = None,
    production_order: Annotated[
        Key | None, Query(description="Only exceptions naming this production order as impacted.")
    ] = None,
    opened_before: Annotated[
        IsoDatetime | None, Query(description="Only exceptions opened before this time (with offset).")
    ] = None,
    min_age_hours: Annotated[
        int | None, Query(ge=0, le=24 * 366 * 10, description="Only exceptions at least this many hours old.")
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> schemas.ExceptionListRead:
    opened_by = runtime.clock.now() - dt.timedelta(hours=min_age_hours) if min_age_hours is not None else None
    rows = repo.ExceptionRepository(session).list(
        type=type,
        partner_id=partner_id,
        po_number=po_number,
        status=status,
        owner=owner,
        severity=severity,
        production_order=production_order,
        opened_before=opened_before,
        opened_by=opened_by,
        limit=limit + 1,
        offset=offset,
    )
    return schemas.ExceptionListRead(
        items=[schemas.ExceptionRead.model_validate(row) for row in rows[:limit]],
        limit=limit,
        offset=offset,
        next_offset=next_offset(offset, limit, len(rows)),
    )


@router.get(
    "/v1/exceptions/{exception_id}",
    response_model=schemas.ExceptionDetailRead,
    summary="One exception with its history and source documents",
    responses=problems.responses(404, 422),
)
def get_exception(
    exception_id: ExceptionId, session: DbSession, caller: ProcurementRead
) -> schemas.ExceptionDetailRead:
    return _detail(session, repo.ExceptionRepository(session).require(exception_id))


@router.post(
    "/v1/exceptions/{exception_id}/acknowledge",
    response_model=schemas.ExceptionDetailRead,
    summary="Take an exception (a closed one is 409)",
    responses=problems.responses(404, 409, 422),
)
def acknowledge_exception(
    exception_id: ExceptionId,
    body: schemas.ExceptionActionCreate,
    session: DbSession,
    runtime: RuntimeDep,
    caller: ProcurementWrite,
) -> schemas.ExceptionDetailRead:
    cases = repo.ExceptionRepository(session, runtime.clock)
    return _detail(session, cases.acknowledge(exception_id, actor=body.actor, note=body.note))


@router.post(
    "/v1/exceptions/{exception_id}/resolve",
    response_model=schemas.ExceptionDetailRead,
    summary="Resolve an exception (a closed one is 409)",
    responses=problems.responses(404, 409, 422),
)
def resolve_exception(
    exception_id: ExceptionId,
    body: schemas.ExceptionActionCreate,
    session: DbSession,
    runtime: RuntimeDep,
    caller: ProcurementWrite,
) -> schemas.ExceptionDetailRead:
    cases = repo.ExceptionRepository(session, runtime.clock)
    return _detail(session, cases.resolve_case(exception_id, actor=body.actor, note=body.note))


@router.post(
    "/v1/exceptions/{exception_id}/notes",
    response_model=schemas.ExceptionHistoryRead,
    status_code=status.HTTP_201_CREATED,
    summary="Add a note to an exception's history",
    responses=problems.responses(404, 422),
)
def add_exception_note(
    exception_id: ExceptionId,
    body: schemas.ExceptionNoteCreate,
    session: DbSession,
    runtime: RuntimeDep,
    caller: ProcurementWrite,
) -> schemas.ExceptionHistoryRead:
    entry = repo.ExceptionRepository(session, runtime.clock).add_note(
        exception_id, actor=body.actor, note=body.note
    )
    return schemas.ExceptionHistoryRead.model_validate(entry)


def _detail(session: Session, row: db.ExceptionCase) -> schemas.ExceptionDetailRead:
    history = repo.ExceptionRepository(session).history(row.id)
    return schemas.ExceptionDetailRead(
        **schemas.ExceptionRead.model_validate(row).model_dump(),
        history=[schemas.ExceptionHistoryRead.model_validate(entry) for entry in history],
        source_documents=_sources(session, row),
    )


def _sources(session: Session, row: db.ExceptionCase) -> list[schemas.SourceDocumentRead]:
    """The case's document as a summary (none when it was opened by a monitor or an ERP import, or
    when the document is gone)."""
    document = repo.DocumentRepository(session).get(row.document_id) if row.document_id else None
    if document is None:
        return []
    interchange = (
        repo.InterchangeRepository(session).get(document.interchange_id) if document.interchange_id else None
    )
    receipt = repo.ReceiptRepository(session).get(document.receipt_id) if document.receipt_id else None
    return [
        schemas.SourceDocumentRead(
            id=document.id,
            doc_type=document.doc_type,
            format=document.format,
            partner_id=document.partner_id,
            interchange_control=interchange.control_number if interchange is not None else None,
            group_control=document.group_control,
            set_control=document.set_control,
            status=document.status,
            receipt_id=document.receipt_id,
            received_at=receipt.received_at if receipt is not None else None,
            raw_url=f"/v1/receipts/{quote(receipt.id, safe='')}/raw" if receipt is not None else None,
        )
    ]
