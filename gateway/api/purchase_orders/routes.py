"""`/v1/purchase-orders`: the POs the ERP sent us, with the supplier's progress per line."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Path

from gateway import canonical
from gateway.api import problems
from gateway.api.deps import DbSession, ProcurementRead
from gateway.api.params import DEFAULT_LIMIT, Key, Limit, Offset, PartnerFilter, next_offset
from gateway.api.purchase_orders import schemas
from gateway.correlation.ledger import LineLedger
from gateway.store import models as db
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
        items=[_summary(row) for row in rows[:limit]],
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
    return schemas.PurchaseOrderRead(**_summary(row).model_dump(), lines=[_line(line) for line in row.lines])


def _summary(row: db.PurchaseOrder) -> schemas.PurchaseOrderSummaryRead:
    return schemas.PurchaseOrderSummaryRead(
        partner_id=row.partner_id,
        po_number=row.po_number,
        revision=row.revision,
        plant=row.plant,
        currency=row.currency,
        order_date=row.order_on,
        status=row.status,
        sent_at=row.sent_at,
        updated_at=row.updated_at,
    )


def _line(line: db.PurchaseOrderLine) -> schemas.PurchaseOrderLineRead:
    return schemas.PurchaseOrderLineRead(
        line_number=line.line_number,
        buyer_item=line.buyer_item,
        supplier_item=line.supplier_item,
        quantity=line.quantity,
        unit=line.unit,
        unit_price=line.unit_price,
        requested_date=line.requested_on,
        cancelled=line.cancelled,
        ack_status=line.ack_status,
        committed_quantity=line.committed_quantity,
        committed_date=line.committed_on,
        committed_price=line.committed_price,
        committed_schedule=[
            schemas.CommittedSplitRead(quantity=s.quantity, unit=s.unit, date=s.date, date_kind=s.date_kind)
            for s in _ledger_schedule(line)
        ],
        shipped_quantity=line.shipped_quantity,
        received_quantity=line.received_quantity,
        open_quantity=max(line.quantity - line.shipped_quantity, Decimal(0)),
    )


def _ledger_schedule(line: db.PurchaseOrderLine) -> tuple[canonical.ScheduleLine, ...]:
    return LineLedger.model_validate(line.ledger).committed_schedule if line.ledger is not None else ()
