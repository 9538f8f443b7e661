"""Typed builders for correlation tests: each test sets up only what it asserts on."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from gateway.canonical.exceptions import ExceptionType
from gateway.canonical.models import (
    Commitment,
    CommitmentLine,
    CommitmentStatus,
    LineAction,
    PurchaseOrder,
    PurchaseOrderLine,
    Shipment,
    ShipmentLine,
    ShipmentPurpose,
    VersionStamp,
)
from gateway.correlation.items import ItemCatalog
from gateway.correlation.ledger import PurchaseOrderState
from gateway.correlation.result import CorrelationResult
from gateway.correlation.terms import PartnerTerms
from gateway.correlation.units import UnitConverter
from gateway.partners.model import ItemXref, Tolerances, UnitConversion

PARTNER = "acme"
PO = "4500001"
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
REQUESTED = dt.date(2026, 4, 1)


def stamp(seq: int, *, minutes: int = 0) -> VersionStamp:
    """A version stamp; a higher `seq` (or later `minutes`) is newer."""
    return VersionStamp(issued_at=NOW + dt.timedelta(minutes=minutes), sequence=seq)


def make_line(
    line_number: str = "1",
    *,
    buyer_item: str = "BOLT-10",
    supplier_item: str | None = None,
    quantity: str = "100",
    unit: str = "EA",
    unit_price: str | None = "2.50",
    requested_date: dt.date | None = REQUESTED,
    cancelled: bool = False,
) -> PurchaseOrderLine:
    return PurchaseOrderLine(
        line_number=line_number,
        buyer_item=buyer_item,
        supplier_item=supplier_item,
        quantity=Decimal(quantity),
        unit=unit,
        unit_price=Decimal(unit_price) if unit_price is not None else None,
        requested_date=requested_date,
        cancelled=cancelled,
    )


def make_purchase_order(
    *lines: PurchaseOrderLine, po_number: str = PO, partner_id: str = PARTNER, currency: str = "USD"
) -> PurchaseOrder:
    return PurchaseOrder(
        po_number=po_number,
        partner_id=partner_id,
        currency=currency,
        order_date=dt.date(2026, 2, 1),
        lines=lines or (make_line(),),
    )


def make_state(
    *lines: PurchaseOrderLine, po_number: str = PO, partner_id: str = PARTNER
) -> PurchaseOrderState:
    return PurchaseOrderState.fresh(make_purchase_order(*lines, po_number=po_number, partner_id=partner_id))


def make_terms(
    *,
    quantity_pct: str = "0",
    price_pct: str = "0",
    days_early: int = 0,
    days_late: int = 0,
    units: tuple[UnitConversion, ...] = (),
    items: tuple[ItemXref, ...] = (),
    partner_id: str = PARTNER,
) -> PartnerTerms:
    return PartnerTerms(
        partner_id=partner_id,
        tolerances=Tolerances(
            quantity_pct=Decimal(quantity_pct),
            price_pct=Decimal(price_pct),
            days_early=days_early,
            days_late=days_late,
        ),
        converter=UnitConverter(units),
        items=ItemCatalog(items),
    )


def make_commitment(
    line_number: str | None = "1",
    *,
    status: CommitmentStatus = CommitmentStatus.ACCEPTED,
    quantity: str | None = None,
    unit: str | None = None,
    committed_date: dt.date | None = None,
    unit_price: str | None = None,
    currency: str | None = None,
    buyer_item: str | None = None,
    supplier_item: str | None = None,
    schedule: tuple[CommitmentLine, ...] = (),
    version: VersionStamp | None = None,
    po_number: str = PO,
    partner_id: str = PARTNER,
    document_id: str = "doc-855-1",
) -> Commitment:
    return Commitment(
        partner_id=partner_id,
        document_id=document_id,
        occurred_at=NOW,
        po_number=po_number,
        line_number=line_number,
        status=status,
        quantity=Decimal(quantity) if quantity is not None else None,
        unit=unit,
        committed_date=committed_date,
        unit_price=Decimal(unit_price) if unit_price is not None else None,
        currency=currency,
        buyer_item=buyer_item,
        supplier_item=supplier_item,
        schedule=schedule,
        version=version or stamp(1),
    )


def make_split(
    action: LineAction = LineAction.ACCEPT,
    *,
    quantity: str | None = None,
    unit: str | None = None,
    date: dt.date | None = None,
    date_kind: str = "delivery",
) -> CommitmentLine:
    return CommitmentLine.model_validate(
        {
            "action": action,
            "status_code": "IA",
            "quantity": Decimal(quantity) if quantity is not None else None,
            "unit": unit,
            "date": date,
            "date_kind": date_kind,
        }
    )


def make_shipment_line(
    line_number: str | None = "1",
    *,
    quantity: str = "10",
    unit: str = "EA",
    po_number: str = PO,
    buyer_item: str | None = None,
    supplier_item: str | None = None,
    upc: str | None = None,
) -> ShipmentLine:
    return ShipmentLine(
        po_number=po_number,
        line_number=line_number,
        buyer_item=buyer_item,
        supplier_item=supplier_item,
        upc=upc,
        quantity=Decimal(quantity),
        unit=unit,
    )


def make_shipment(
    *lines: ShipmentLine,
    shipment_id: str = "ACME-SH-1",
    purpose: ShipmentPurpose = ShipmentPurpose.ORIGINAL,
    version: VersionStamp | None = None,
    partner_id: str = PARTNER,
    document_id: str | None = None,
) -> Shipment:
    return Shipment(
        partner_id=partner_id,
        document_id=document_id or f"doc-856-{shipment_id}",
        occurred_at=NOW,
        shipment_id=shipment_id,
        purpose=purpose,
        lines=lines or (make_shipment_line(),),
        version=version or stamp(1),
    )


def applied(state: PurchaseOrderState, result: CorrelationResult) -> PurchaseOrderState:
    """The state after the pipeline stored `result` (ledgers of this PO only)."""
    updates = {ln: led for (po, ln), led in result.ledger_updates.items() if po == state.po.po_number}
    return state.with_ledgers(updates)


def open_keys(result: CorrelationResult) -> set[tuple[ExceptionType, str]]:
    return {(c.type, c.subject) for c in result.exceptions_to_open}


def apply_cases(open_cases: set[tuple[ExceptionType, str]], result: CorrelationResult) -> None:
    """What the pipeline does with a result's exception changes, on a set of open (type, subject)."""
    opened = open_keys(result)
    if result.resolve_scope is not None:
        scope = result.resolve_scope
        open_cases -= {
            k for k in open_cases if (k[1] == scope or k[1].startswith(scope + ":")) and k not in opened
        }
    open_cases -= set(result.exceptions_to_resolve)
    open_cases |= opened
