"""The supplier API: a partner's client works on its own purchase orders and nothing else.

- `GET /v1/supplier/purchase-orders` (orders:read): its POs with their open lines, filtered, by
  cursor; `GET /v1/supplier/purchase-orders/{po_number}`: one with every line.
- `POST /v1/supplier/commitments` (commitments:write) and `POST /v1/supplier/shipments`
  (shipments:write): JSON documents, through the same receipt, validation, version, duplicate and
  correlation path as EDI (`pipeline.supplier`).
- `POST /v1/supplier/edi` and `POST /v1/edi` (edi:write): raw X12 or EDIFACT in the body, for
  partners without AS2; the answer carries the documents and the 997/999/TA1 or CONTRL written.
- `GET /v1/supplier/exceptions` (exceptions:read), `.../{id}`; `GET /v1/supplier/documents/{id}`.

The token's partner is the only partner: another partner's PO, exception or document answers 404,
exactly as one that does not exist. Production-at-risk cases stay internal (they describe the
buyer's production orders).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway.api import problems
from gateway.api.deps import (
    CommitmentsWrite,
    DbSession,
    EdiWrite,
    ExceptionsRead,
    OrdersRead,
    RuntimeDep,
    ShipmentsWrite,
    get_runtime,
)
from gateway.api.documents.schemas import IssueRead
from gateway.api.idempotency import IdempotentRoute, principal_of
from gateway.api.oauth.tokens import Principal
from gateway.api.params import (
    DEFAULT_LIMIT,
    Cursor,
    IsoDate,
    IsoDatetime,
    Key,
    Limit,
    decode_cursor,
    encode_cursor,
)
from gateway.api.purchase_orders.schemas import PurchaseOrderLineRead, is_open
from gateway.api.supplier import schemas
from gateway.canonical.exceptions import ExceptionStatus, ExceptionType
from gateway.errors import AuthError, GatewayError, NotFoundError
from gateway.pipeline import supplier as intake
from gateway.pipeline.intake import api as api_intake
from gateway.pipeline.reports import ReceiptReport
from gateway.pipeline.runtime import Runtime
from gateway.store import models as db
from gateway.store import repositories as repo
from gateway.store.session import session_scope

PREFIX = "/v1/supplier"
# The JSON documents a supplier posts, by path: (what the body is, the scope that may post it).
POSTED_DOCUMENTS = {
    f"{PREFIX}/commitments": ("commitment", "commitments:write"),
    f"{PREFIX}/shipments": ("shipment", "shipments:write"),
}


class SupplierRoute(IdempotentRoute):
    """A posted document whose body the API refuses (400: not JSON; 422: not the schema) is still a
    document the supplier sent: its bytes are kept as a failed receipt (with the reason, and a
    `document_rejected` case) before the answer, which names the receipt. Only for a caller whose
    token may post it: an anonymous body is not stored."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()
        posted = POSTED_DOCUMENTS.get(self.path)
        if posted is None:
            return original
        kind, scope = posted

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except (RequestValidationError, StarletteHTTPException) as exc:
                if isinstance(exc, RequestValidationError) or exc.status_code == 400:
                    # Stored by the error handler, once this request's own session has closed (on
                    # SQLite its transaction holds the write lock until then).
                    request.state.keep_refused = functools.partial(_keep_rejected, request, kind, scope)
                raise

        return handler


async def _keep_rejected(request: Request, kind: str, scope: str) -> str | None:
    """The refused body stored for the token's partner: its receipt id (None: not the caller's to post)."""
    runtime = get_runtime(request)
    held = getattr(request.state, "principal", None)
    try:
        principal: Principal = (
            held if isinstance(held, Principal) else await run_in_threadpool(principal_of, request, runtime)
        )
    except AuthError:
        return None
    if principal.partner_id is None or scope not in principal.scopes:
        return None
    raw = await request.body()
    return await run_in_threadpool(_store_rejected, runtime, principal.partner_id, kind, raw)


def _store_rejected(runtime: Runtime, partner_id: str, kind: str, raw: bytes) -> str:
    with session_scope(runtime.sessionmaker) as session:
        return intake.keep_rejected(session, runtime, partner_id=partner_id, kind=kind, raw=raw).receipt_id


router = APIRouter(
    prefix=PREFIX, tags=["supplier"], responses=problems.responses(401, 403, 429), route_class=SupplierRoute
)
edi_router = APIRouter(
    tags=["supplier"], responses=problems.responses(401, 403, 429), route_class=IdempotentRoute
)

INTERNAL_TYPES = (ExceptionType.PRODUCTION_AT_RISK,)
EDI_MEDIA_TYPES = ("application/edi-x12", "application/edifact", "text/plain", "application/octet-stream")
PoNumber = Annotated[Key, Path(description="Your purchase order's number.")]
ExceptionId = Annotated[int, Path(ge=1, le=2**63 - 1)]
DocumentId = Annotated[Key, Path()]


class EmptyBodyError(GatewayError):
    status = 422
    type = "/problems/empty-body"
    title = "Empty body"


# ------------------------------------------------------------------------------ purchase orders


def _order(row: db.PurchaseOrder, lines: list[db.PurchaseOrderLine]) -> schemas.SupplierPurchaseOrderRead:
    payload: dict[str, Any] = row.payload
    return schemas.SupplierPurchaseOrderRead(
        po_number=row.po_number,
        revision=row.revision,
        status=row.status,
        order_date=row.order_on,
        currency=row.currency,
        plant=row.plant,
        ship_to=payload.get("ship_to"),
        ship_to_name=payload.get("ship_to_name"),
        buyer_name=payload.get("buyer_name"),
        buyer_contact=payload.get("buyer_contact"),
        updated_at=row.updated_at,
        lines=[PurchaseOrderLineRead.of(line) for line in lines],
    )


@router.get(
    "/purchase-orders",
    response_model=schemas.SupplierPurchaseOrderListRead,
    summary="Your purchase orders with their open lines, by PO number",
    responses=problems.responses(422),
    openapi_extra={
        "responses": {
            "200": {
                "links": {
                    "GetPurchaseOrder": {
                        "operationId": "get_supplier_purchase_order",
                        "parameters": {"po_number": "$response.body#/items/0/po_number"},
                    }
                }
            }
        }
    },
)
def list_purchase_orders(
    session: DbSession,
    supplier: OrdersRead,
    open: Annotated[
        bool, Query(description="Only orders with an open line (not cancelled, not fully shipped).")
    ] = True,
    po_status: Annotated[db.PurchaseOrderStatus | None, Query(alias="status")] = None,
    item: Annotated[Key | None, Query(description="Lines of this item (buyer's or yours).")] = None,
    requested_from: Annotated[IsoDate | None, Query(description="Lines requested on or after.")] = None,
    requested_to: Annotated[IsoDate | None, Query(description="Lines requested on or before.")] = None,
    updated_since: Annotated[
        IsoDatetime | None, Query(description="Orders changed since (with offset).")
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> schemas.SupplierPurchaseOrderListRead:
    rows = repo.PurchaseOrderRepository(session).list_for_partner(
        supplier.partner_id,
        after=decode_cursor(cursor),
        status=po_status,
        open_only=open,
        item=item,
        requested_from=requested_from,
        requested_to=requested_to,
        updated_since=updated_since,
        limit=limit + 1,
    )
    items = []
    for row in rows[:limit]:
        lines = [line for line in row.lines if is_open(line)] if open else list(row.lines)
        items.append(_order(row, lines))
    more = len(rows) > limit
    return schemas.SupplierPurchaseOrderListRead(
        items=items, next_cursor=encode_cursor(rows[limit - 1].po_number) if more else None
    )


@router.get(
    "/purchase-orders/{po_number}",
    operation_id="get_supplier_purchase_order",
    response_model=schemas.SupplierPurchaseOrderRead,
    summary="One of your purchase orders with every line: ordered, committed, shipped, received, open",
    responses=problems.responses(404, 422),
)
def get_purchase_order(
    po_number: PoNumber, session: DbSession, supplier: OrdersRead
) -> schemas.SupplierPurchaseOrderRead:
    row = repo.PurchaseOrderRepository(session).require(po_number, partner_id=supplier.partner_id)
    return _order(row, list(row.lines))


# ------------------------------------------------------------------------------ posted documents


def _visible(row: db.ExceptionCase, partner_id: str) -> bool:
    return row.partner_id == partner_id and row.type not in INTERNAL_TYPES


def _intake_read(session: Session, report: ReceiptReport, partner_id: str) -> schemas.IntakeRead:
    receipt = repo.ReceiptRepository(session).require(report.receipt_id)
    messages = repo.OutboundMessageRepository(session)
    acks = [m for mid in report.acks if (m := messages.get(mid)) is not None]
    cases = repo.ExceptionRepository(session)
    found: dict[int, db.ExceptionCase] = {}
    for document in report.documents:
        found.update((row.id, row) for row in cases.for_document(document.document_id))
    for row in cases.active_ending_with(ExceptionType.DOCUMENT_REJECTED, f"receipt:{receipt.id}"):
        found[row.id] = row
    return schemas.IntakeRead(
        receipt_id=receipt.id,
        status=report.status if report.status in ("duplicate", "failed", "received") else "processed",
        detail=report.detail,
        duplicate_of=receipt.duplicate_of_id,
        documents=[
            schemas.DocumentResultRead(
                document_id=d.document_id,
                doc_type=d.doc_type,
                control_number=d.control_number,
                status=d.status,
                events=d.events,
                issues=[IssueRead.model_validate(i.as_dict()) for i in d.issues],
                note=d.note,
            )
            for d in report.documents
        ],
        acknowledgements=[
            schemas.AcknowledgementRead(
                kind=m.kind, interchange_control=m.interchange_control, content=m.content
            )
            for m in acks
        ],
        exceptions=[
            schemas.SupplierExceptionRead.model_validate(row)
            for row in sorted(found.values(), key=lambda r: r.id)
            if _visible(row, partner_id)
        ],
    )


def _status_code(read: schemas.IntakeRead) -> int:
    if read.status == "duplicate":
        return status.HTTP_200_OK
    if read.status == "received":
        return status.HTTP_202_ACCEPTED
    return status.HTTP_201_CREATED


def _answer(read: schemas.IntakeRead, request: Request) -> Response:
    """201 for a new document, 200 for a duplicate of an earlier post, 202 for one stored whose
    processing failed and is retried."""
    code = _status_code(read)
    headers = {}
    if read.documents and code == status.HTTP_201_CREATED:
        headers["Location"] = f"{PREFIX}/documents/{read.documents[0].document_id}"
    return JSONResponse(read.model_dump(mode="json"), status_code=code, headers=headers)


INTAKE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": schemas.IntakeRead, "description": "The same body was posted before: nothing changed."},
    202: {
        "model": schemas.IntakeRead,
        "description": "Stored, but processing failed: it is retried (`detail` says why); see the receipt.",
    },
    201: {
        "model": schemas.IntakeRead,
        "description": "Stored, read and correlated.",
        "links": {
            "GetDocument": {
                "operationId": "get_supplier_document",
                "parameters": {"document_id": "$response.body#/documents/0/document_id"},
            }
        },
    },
    **problems.responses(404, 413, 422),
}


def _submit(
    session: Session, runtime: Runtime, partner_id: str, body: api_intake.Submission, raw: bytes
) -> schemas.IntakeRead:
    report = intake.submit(session, runtime, partner_id=partner_id, submission=body, raw=raw)
    return _intake_read(session, report, partner_id)


@router.post(
    "/commitments",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.IntakeRead,
    summary="Commit to one of your purchase orders, line by line (an 855 as JSON)",
    description="A PO number that is not yours is 404; an unknown line opens an exception, as in EDI.",
    responses=INTAKE_RESPONSES,
)
async def post_commitment(
    request: Request,
    body: schemas.CommitmentCreate,
    supplier: CommitmentsWrite,
    session: DbSession,
    runtime: RuntimeDep,
) -> Response:
    raw = await request.body()
    read = await run_in_threadpool(_submit, session, runtime, supplier.partner_id, body, raw)
    return _answer(read, request)


@router.post(
    "/shipments",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.IntakeRead,
    summary="Tell us about a shipment (an 856 as JSON); the same shipment_id again replaces it",
    description="A line naming a PO number that is not yours is 404.",
    responses=INTAKE_RESPONSES,
)
async def post_shipment(
    request: Request,
    body: schemas.ShipmentCreate,
    supplier: ShipmentsWrite,
    session: DbSession,
    runtime: RuntimeDep,
) -> Response:
    raw = await request.body()
    read = await run_in_threadpool(_submit, session, runtime, supplier.partner_id, body, raw)
    return _answer(read, request)


def _upload(
    session: Session, runtime: Runtime, partner_id: str, raw: bytes, file_name: str | None, path: str
) -> Response:
    report = intake.upload_edi(session, runtime, partner_id=partner_id, raw=raw, file_name=file_name)
    read = _intake_read(session, report, partner_id)
    receipt = repo.ReceiptRepository(session).require(report.receipt_id)
    original = (
        repo.ReceiptRepository(session).get(receipt.duplicate_of_id) if receipt.duplicate_of_id else None
    )
    failed = receipt if receipt.status is db.ReceiptStatus.FAILED else original
    if failed is not None and failed.status is db.ReceiptStatus.FAILED:
        # Unreadable: the bytes are kept (the receipt commits with this answer), nothing was read.
        return problems.problem_response(
            422,
            "Document cannot be read",
            type_="/problems/unreadable-document",
            detail=failed.error or "the bytes cannot be read",
            instance=path,
            receipt_id=receipt.id,
            exceptions=[e.model_dump(mode="json") for e in read.exceptions],
        )
    return JSONResponse(read.model_dump(mode="json"), status_code=_status_code(read))


EDI_BODY = {
    "requestBody": {
        "required": True,
        "description": (
            "One file: X12 interchanges (ISA..IEA) or UN/EDIFACT interchanges (UNA/UNB..UNZ) as you "
            "would send them over AS2."
        ),
        "content": {media: {"schema": {"type": "string", "format": "binary"}} for media in EDI_MEDIA_TYPES},
    }
}


@router.post(
    "/edi",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.IntakeRead,
    summary="Upload raw EDI (X12 or EDIFACT); the answer has the documents and the acks written",
    responses={**INTAKE_RESPONSES, **problems.responses(413, 415, 422)},
    openapi_extra=EDI_BODY,
)
@edi_router.post(
    "/v1/edi",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.IntakeRead,
    summary="Upload raw EDI (X12 or EDIFACT) without AS2; the same as POST /v1/supplier/edi",
    responses={**INTAKE_RESPONSES, **problems.responses(413, 415, 422)},
    openapi_extra=EDI_BODY,
)
async def upload_edi(
    request: Request,
    supplier: EdiWrite,
    session: DbSession,
    runtime: RuntimeDep,
    file_name: Annotated[Key | None, Query(description="The file's name, kept with the bytes.")] = None,
) -> Response:
    raw = await request.body()
    if not raw.strip():
        raise EmptyBodyError("the body holds no EDI")
    return await run_in_threadpool(
        _upload, session, runtime, supplier.partner_id, raw, file_name, request.url.path
    )


# ------------------------------------------------------------------------------ exceptions, documents


@router.get(
    "/exceptions",
    response_model=schemas.SupplierExceptionListRead,
    summary="The exceptions about your lines and documents, oldest first",
    responses=problems.responses(422),
)
def list_exceptions(
    session: DbSession,
    supplier: ExceptionsRead,
    case_status: Annotated[ExceptionStatus | None, Query(alias="status")] = None,
    type: Annotated[ExceptionType | None, Query()] = None,
    po_number: Annotated[Key | None, Query()] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> schemas.SupplierExceptionListRead:
    after = decode_cursor(cursor)
    if type in INTERNAL_TYPES:
        rows: list[db.ExceptionCase] = []
    else:
        rows = list(
            repo.ExceptionRepository(session).for_partner(
                supplier.partner_id,
                after_id=int(after) if after is not None and after.isdigit() else 0,
                status=case_status,
                type=type,
                po_number=po_number,
                exclude_types=INTERNAL_TYPES,
                limit=limit + 1,
            )
        )
    more = len(rows) > limit
    return schemas.SupplierExceptionListRead(
        items=[schemas.SupplierExceptionRead.model_validate(row) for row in rows[:limit]],
        next_cursor=encode_cursor(str(rows[limit - 1].id)) if more else None,
    )


@router.get(
    "/exceptions/{exception_id}",
    response_model=schemas.SupplierExceptionRead,
    summary="One exception about your lines or documents",
    responses=problems.responses(404, 422),
)
def get_exception(
    exception_id: ExceptionId, session: DbSession, supplier: ExceptionsRead
) -> schemas.SupplierExceptionRead:
    row = repo.ExceptionRepository(session).get(exception_id)
    if row is None or not _visible(row, supplier.partner_id):
        raise NotFoundError(f"exception {exception_id} does not exist")
    return schemas.SupplierExceptionRead.model_validate(row)


@router.get(
    "/documents/{document_id}",
    operation_id="get_supplier_document",
    response_model=schemas.SupplierDocumentRead,
    summary="One of your documents: its status, issues and the exceptions it opened",
    responses=problems.responses(404, 422),
)
def get_document(
    document_id: DocumentId, session: DbSession, supplier: OrdersRead
) -> schemas.SupplierDocumentRead:
    row = repo.DocumentRepository(session).get(document_id)
    if row is None or row.partner_id != supplier.partner_id or row.direction is not db.Direction.INBOUND:
        raise NotFoundError(f"document {document_id} does not exist")
    cases = repo.ExceptionRepository(session).for_document(document_id)
    return schemas.SupplierDocumentRead(
        id=row.id,
        format=row.format,
        doc_type=row.doc_type,
        control_number=row.set_control,
        status=row.status,
        receipt_id=row.receipt_id,
        created_at=row.created_at,
        issues=[IssueRead.model_validate(issue) for issue in row.issues],
        exceptions=[
            schemas.SupplierExceptionRead.model_validate(c) for c in cases if _visible(c, supplier.partner_id)
        ],
    )
