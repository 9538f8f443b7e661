"""`/v1/production-orders`: the ERP's production orders with their components and the risk to each
(the open production_at_risk cases pegging found, with the PO lines responsible)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from gateway.api import problems
from gateway.api.deps import DbSession, ProcurementRead
from gateway.api.params import DEFAULT_LIMIT, Key, Limit, Offset, next_offset
from gateway.api.production_orders import schemas
from gateway.errors import NotFoundError
from gateway.store import models as db
from gateway.store import repositories as repo

router = APIRouter(tags=["production orders"], responses=problems.responses(401, 403, 429))

OrderId = Annotated[Key, Path(description="The ERP's production order id.")]


def _read(row: db.ProductionOrder, risks: list[db.ExceptionCase]) -> schemas.ProductionOrderRead:
    return schemas.ProductionOrderRead(
        order_id=row.order_id,
        plant=row.plant,
        item=row.item,
        start_date=row.start_on,
        updated_at=row.updated_at,
        at_risk=bool(risks),
        components=[
            schemas.ComponentRead(item=c.item, quantity=c.quantity, unit=c.unit, need_date=c.need_on)
            for c in row.components
        ],
        risks=[schemas.ProductionRiskRead.of(case) for case in risks],
    )


@router.get(
    "/v1/production-orders",
    response_model=schemas.ProductionOrderListRead,
    summary="Production orders by start date, with the risk to their components",
    responses=problems.responses(422),
)
def list_production_orders(
    session: DbSession,
    caller: ProcurementRead,
    plant: Annotated[Key | None, Query()] = None,
    item: Annotated[Key | None, Query(description="Orders needing this component.")] = None,
    at_risk: Annotated[bool | None, Query(description="Only orders at risk (true) or not (false).")] = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> schemas.ProductionOrderListRead:
    rows = repo.ProductionOrderRepository(session).list(
        plant=plant, item=item, at_risk=at_risk, limit=limit + 1, offset=offset
    )
    page = rows[:limit]
    risks = repo.ExceptionRepository(session).production_risks(row.order_id for row in page)
    return schemas.ProductionOrderListRead(
        items=[_read(row, risks.get(row.order_id, [])) for row in page],
        limit=limit,
        offset=offset,
        next_offset=next_offset(offset, limit, len(rows)),
    )


@router.get(
    "/v1/production-orders/{order_id}",
    response_model=schemas.ProductionOrderRead,
    summary="One production order: its components, and for each at risk the need, the supply and who is late",
    responses=problems.responses(404, 422),
)
def get_production_order(
    order_id: OrderId, session: DbSession, caller: ProcurementRead
) -> schemas.ProductionOrderRead:
    row = repo.ProductionOrderRepository(session).get(order_id)
    if row is None:
        raise NotFoundError(f"production order {order_id} does not exist")
    risks = repo.ExceptionRepository(session).production_risks([order_id])
    return _read(row, risks.get(order_id, []))
