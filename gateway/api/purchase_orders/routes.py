"""`/v1/purchase-orders`: the POs the ERP sent us, with the supplier's progress per line."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from gateway.api import problems
from gateway.api.deps import DbSession, ProcurementRead
from gateway.api.params import DEFAULT_LIMIT, Key, Limit, Offset, PartnerFilter, next_offset
from gateway.api.purchase_orders import schemas
from gateway.store import repositories as repo

router = APIRouter(tags=["purchase orders"], responses=problems.responses(401, 403, 429))

PoNumber = Annotated[Key, Path(description="The buyer's PO number.")]


@router.get(
    "/v1/purchase-orders",
    response_model=schemas.PurchaseOrderListRead,
    summary="Purchase orders, by PO number",
    responses=problems.responses(422),
)
def list_purchase_orders(
    session: DbSession,
    caller: ProcurementRead,
    partner_id: PartnerFilter = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> schemas.PurchaseOrderListRead:
    rows = repo.PurchaseOrderRepository(session).list(partner_id=partner_id, limit=limit + 1, offset=offset)
    return schemas.PurchaseOrderListRead(
        items=[schemas.PurchaseOrderSummaryRead.of(row) for row in rows[:limit]],
        limit=limit,
        offset=offset,
        next_offset=next_offset(offset, limit, len(rows)),
    )


@router.get(
    "/v1/purchase-orders/{po_number}",
    response_model=schemas.PurchaseOrderRead,
    summary="One purchase order with ordered, committed, shipped, received and open quantities per line",
    description="Name `partner_id` when two partners use the same PO number (409 otherwise).",
    responses=problems.responses(404, 409, 422),
)
def get_purchase_order(
    po_number: PoNumber, session: DbSession, caller: ProcurementRead, partner_id: PartnerFilter = None
) -> schemas.PurchaseOrderRead:
    row = repo.PurchaseOrderRepository(session).require(po_number, partner_id=partner_id)
    return schemas.PurchaseOrderRead(
        **schemas.PurchaseOrderSummaryRead.of(row).model_dump(),
        lines=[schemas.PurchaseOrderLineRead.of(line) for line in row.lines],
    )
