"""Production orders as the planner sees them: the components and, for each at risk, why."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from pydantic import BaseModel, Field

from gateway.canonical.exceptions import ExceptionStatus, Severity
from gateway.store import models as db


class ComponentRead(BaseModel):
    item: str
    quantity: Decimal
    unit: str
    need_date: dt.date


class PoLineRead(BaseModel):
    po_number: str
    line_number: str


class ProductionRiskRead(BaseModel):
    """An open production_at_risk case: a component covered late or short, and the PO lines behind it."""

    exception_id: int
    item: str
    plant: str | None
    need_date: dt.date | None
    expected_supply_date: dt.date | None = Field(
        description="When the supply pegged to it arrives (null: none)."
    )
    quantity_needed: Decimal | None
    quantity_short: Decimal | None
    unit: str | None
    days_late: int | None
    partner_id: str | None = Field(description="The supplier of the first PO line responsible.")
    po_lines: list[PoLineRead] = Field(description="The PO lines responsible, in pegging order.")
    severity: Severity
    status: ExceptionStatus
    message: str
    opened_at: dt.datetime

    @classmethod
    def of(cls, row: db.ExceptionCase) -> ProductionRiskRead:
        d = row.details
        return cls(
            exception_id=row.id,
            item=d.get("item") or row.subject.rsplit(":item:", 1)[-1],
            plant=d.get("plant") or None,
            need_date=_date(d.get("need_date")),
            expected_supply_date=_date(d.get("expected_supply_date")),
            quantity_needed=_decimal(d.get("quantity_needed")),
            quantity_short=_decimal(d.get("quantity_short")),
            unit=d.get("unit") or None,
            days_late=int(d["days_late"]) if d.get("days_late", "").lstrip("-").isdigit() else None,
            partner_id=row.partner_id or None,
            po_lines=[
                PoLineRead(po_number=po, line_number=line)
                for entry in d.get("po_lines", "").split(",")
                if "/" in entry
                for po, line in [entry.rsplit("/", 1)]
            ],
            severity=row.severity,
            status=row.status,
            message=row.message,
            opened_at=row.opened_at,
        )


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _decimal(text: str | None) -> Decimal | None:
    try:
        return Decimal(text) if text else None
    except InvalidOperation:
        return None


class ProductionOrderRead(BaseModel):
    order_id: str
    plant: str
    item: str | None
    start_date: dt.date
    updated_at: dt.datetime
    at_risk: bool
    components: list[ComponentRead]
    risks: list[ProductionRiskRead]


class ProductionOrderListRead(BaseModel):
    items: list[ProductionOrderRead]
    limit: int
    offset: int
    next_offset: int | None
