"""Typed builders of canonical values for the store tests: each test states only what it asserts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from gateway import canonical
from gateway.canonical.exceptions import OWNERS, Severity

T0 = dt.datetime(2025, 3, 1, 8, 0, tzinfo=dt.UTC)


def stamp(minutes: int = 0, sequence: int = 0) -> canonical.VersionStamp:
    return canonical.VersionStamp(issued_at=T0 + dt.timedelta(minutes=minutes), sequence=sequence)


def make_purchase_order(
    po_number: str = "4500001",
    partner_id: str = "acme",
    *,
    revision: int = 0,
    lines: tuple[tuple[str, str, str], ...] = (("1", "BOLT-10", "100"), ("2", "NUT-10", "50")),
) -> canonical.PurchaseOrder:
    return canonical.PurchaseOrder(
        po_number=po_number,
        partner_id=partner_id,
        revision=revision,
        plant="P100",
        order_date=dt.date(2025, 3, 1),
        lines=tuple(
            canonical.PurchaseOrderLine(
                line_number=number,
                buyer_item=item,
                quantity=Decimal(quantity),
                unit="EA",
                unit_price=Decimal("0.25"),
                requested_date=dt.date(2025, 3, 20),
            )
            for number, item, quantity in lines
        ),
    )


def make_commitment(
    po_number: str = "4500001",
    line_number: str | None = "1",
    *,
    partner_id: str = "acme",
    quantity: str = "100",
    version: canonical.VersionStamp | None = None,
    document_id: str = "doc-855",
) -> canonical.Commitment:
    return canonical.Commitment(
        partner_id=partner_id,
        document_id=document_id,
        occurred_at=T0,
        po_number=po_number,
        line_number=line_number,
        status=canonical.CommitmentStatus.ACCEPTED,
        quantity=Decimal(quantity),
        unit="EA",
        committed_date=dt.date(2025, 3, 18),
        unit_price=Decimal("0.25"),
        version=version or stamp(),
    )


def make_shipment(
    shipment_id: str = "SH-1",
    *,
    partner_id: str = "acme",
    lines: tuple[tuple[str, str, str], ...] = (("4500001", "1", "40"),),
    version: canonical.VersionStamp | None = None,
    purpose: canonical.ShipmentPurpose = canonical.ShipmentPurpose.ORIGINAL,
    document_id: str = "doc-856",
) -> canonical.Shipment:
    return canonical.Shipment(
        partner_id=partner_id,
        document_id=document_id,
        occurred_at=T0,
        shipment_id=shipment_id,
        purpose=purpose,
        ship_date=dt.date(2025, 3, 10),
        lines=tuple(
            canonical.ShipmentLine(po_number=po, line_number=line, quantity=Decimal(qty), unit="EA")
            for po, line, qty in lines
        ),
        version=version or stamp(),
    )


def make_case(
    subject: str = "po:4500001:line:1",
    *,
    type: canonical.ExceptionType = canonical.ExceptionType.QUANTITY_SHORT,
    actual: str = "80",
    partner_id: str = "acme",
) -> canonical.ExceptionCase:
    return canonical.ExceptionCase(
        type=type,
        severity=Severity.MEDIUM,
        partner_id=partner_id,
        subject=subject,
        po_number="4500001",
        line_number="1",
        expected="100",
        actual=actual,
        message=f"committed {actual} of 100",
        owner=OWNERS[type],
    )
