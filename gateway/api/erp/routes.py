"""The internal procurement write API: `POST /v1/purchase-orders`, `/v1/production-orders`,
`/v1/goods-receipts` and `/v1/stock`.

Each takes one record or a list and imports it exactly as `gateway erp import` does (through
`pipeline.erp.import_erp`): a purchase order with a higher `revision` replaces the stored one and,
with `send` (the default), the supplier is sent an 850, or an 860 for a revision of an order it
already has; an older or equal revision changes nothing and is listed under `stale`. The answer is
the import summary. A purchase order for a partner we do not know is 404 and nothing is stored.

Every route needs a token with `procurement:write` (an internal client, e.g. of the `erp` role).
"""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import APIRouter, Query, status

from gateway.api import problems
from gateway.api.deps import DbSession, ProcurementWrite, RuntimeDep
from gateway.api.erp import schemas
from gateway.api.idempotency import IdempotentRoute
from gateway.pipeline import erp
from gateway.pipeline.runtime import Runtime

router = APIRouter(
    tags=["ERP import"], responses=problems.responses(401, 403, 429), route_class=IdempotentRoute
)

T = TypeVar("T")

PROBLEMS = problems.responses(413, 422)
Send = Annotated[
    bool,
    Query(description="Send the supplier an 850 (or an 860 for a revision); false only stores the orders."),
]


@router.post(
    "/v1/purchase-orders",
    response_model=schemas.ImportSummaryRead,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Import purchase orders (one or a list), new or as a newer revision",
    responses=problems.responses(404, 413, 422),
)
def import_purchase_orders(
    body: schemas.PurchaseOrderCreate | list[schemas.PurchaseOrderCreate],
    session: DbSession,
    runtime: RuntimeDep,
    caller: ProcurementWrite,
    send: Send = True,
) -> schemas.ImportSummaryRead:
    orders = [po.to_canonical() for po in _many(body)]
    return _import(session, runtime, erp.ErpFile(purchase_orders=orders), send=send)


@router.post(
    "/v1/production-orders",
    response_model=schemas.ImportSummaryRead,
    summary="Import production orders with their component requirements (one or a list)",
    responses=PROBLEMS,
)
def import_production_orders(
    body: schemas.ProductionOrderCreate | list[schemas.ProductionOrderCreate],
    session: DbSession,
    runtime: RuntimeDep,
    caller: ProcurementWrite,
) -> schemas.ImportSummaryRead:
    orders = [mo.to_canonical() for mo in _many(body)]
    return _import(session, runtime, erp.ErpFile(production_orders=orders), send=False)


@router.post(
    "/v1/goods-receipts",
    response_model=schemas.ImportSummaryRead,
    summary="Record goods receipts against PO lines (one or a list); a receipt id again replaces its figures",
    responses=PROBLEMS,
)
def import_goods_receipts(
    body: schemas.GoodsReceiptCreate | list[schemas.GoodsReceiptCreate],
    session: DbSession,
    runtime: RuntimeDep,
    caller: ProcurementWrite,
) -> schemas.ImportSummaryRead:
    receipts = [gr.to_canonical() for gr in _many(body)]
    return _import(session, runtime, erp.ErpFile(goods_receipts=receipts), send=False)


@router.post(
    "/v1/stock",
    response_model=schemas.ImportSummaryRead,
    summary="Replace on-hand stock snapshots per item and plant (one or a list)",
    responses=PROBLEMS,
)
def import_stock(
    body: schemas.StockLevelCreate | list[schemas.StockLevelCreate],
    session: DbSession,
    runtime: RuntimeDep,
    caller: ProcurementWrite,
) -> schemas.ImportSummaryRead:
    levels = [level.to_canonical() for level in _many(body)]
    return _import(session, runtime, erp.ErpFile(stock=levels), send=False)


def _many(body: T | list[T]) -> list[T]:
    return body if isinstance(body, list) else [body]


def _import(
    session: DbSession, runtime: Runtime, data: erp.ErpFile, *, send: bool
) -> schemas.ImportSummaryRead:
    report = erp.import_erp(session, runtime, data, send=send)
    return schemas.ImportSummaryRead(
        purchase_orders=report.purchase_orders,
        revised=report.revised,
        stale=report.stale,
        production_orders=report.production_orders,
        goods_receipts=report.goods_receipts,
        unmatched_receipts=report.unmatched_receipts,
        stock=report.stock,
        sent=[
            schemas.SentMessageRead(po_number=po, partner_id=partner, kind=kind, path=path)
            for (po, partner, path), kind in zip(report.sent, report.sent_kinds, strict=True)
        ],
    )
