"""Typed builders for the supplier API tests: purchase orders through the real ERP import, and the
bodies a supplier posts (JSON commitments and shipments, an X12 855)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.db_fixtures import unique_id

ISSUED = "2026-03-02T09:00:00Z"


def purchase_order(partner_id: str, po_number: str | None = None, **changes: Any) -> dict[str, Any]:
    """A two-line PO: 100 EA of BOLT-M8 wanted 2026-03-20, 50 EA of NUT-M8 wanted 2026-03-27."""
    return {
        "po_number": po_number or unique_id("PO"),
        "partner_id": partner_id,
        "plant": "P100",
        "order_date": "2026-03-01",
        "ship_to": "P100",
        "lines": [
            {
                "line_number": "1",
                "buyer_item": "BOLT-M8",
                "supplier_item": "SUP-BOLT",
                "quantity": "100",
                "unit": "EA",
                "unit_price": "0.12",
                "requested_date": "2026-03-20",
            },
            {
                "line_number": "2",
                "buyer_item": "NUT-M8",
                "quantity": "50",
                "unit": "EA",
                "unit_price": "0.05",
                "requested_date": "2026-03-27",
            },
        ],
    } | changes


async def import_order(internal: httpx.AsyncClient, partner_id: str, **changes: Any) -> str:
    """Import a PO the way the ERP does (no 850 sent); returns its number."""
    body = purchase_order(partner_id, **changes)
    response = await internal.post("/v1/purchase-orders", params={"send": "false"}, json=body)
    assert response.status_code == 202, response.text
    po_number: str = body["po_number"]
    return po_number


def commitment(
    po_number: str, *, quantity: str = "100", issued_at: str = ISSUED, **changes: Any
) -> dict[str, Any]:
    return {
        "po_number": po_number,
        "issued_at": issued_at,
        "supplier_reference": "SO-1",
        "lines": [
            {
                "line_number": "1",
                "status": "accepted",
                "quantity": quantity,
                "unit": "EA",
                "date": "2026-03-20",
                "unit_price": "0.12",
            }
        ],
    } | changes


def shipment(
    po_number: str, *, shipment_id: str | None = None, quantity: str = "40", **changes: Any
) -> dict[str, Any]:
    return {
        "shipment_id": shipment_id or unique_id("SH"),
        "issued_at": ISSUED,
        "ship_date": "2026-03-10",
        "expected_delivery": "2026-03-12",
        "carrier": "UPSN",
        "tracking_number": "1Z999",
        "lines": [{"po_number": po_number, "line_number": "1", "quantity": quantity, "unit": "EA"}],
    } | changes


def x12_855(isa_id: str, po_number: str, *, control: str = "000000501", quantity: str = "100") -> bytes:
    """An 855 accepting line 1 of `po_number`, from the sender `isa_id` (ZZ)."""
    isa06 = isa_id.ljust(15)
    gs = str(int(control))
    segments = [
        f"ISA*00*          *00*          *ZZ*{isa06}*ZZ*GATEWAYBUYER   *260302*0915*U*00401*{control}*0*P*>",
        f"GS*PR*{isa_id}*GATEWAYBUYER*20260302*0915*{gs}*X*004010",
        "ST*855*0001",
        f"BAK*00*AD*{po_number}*20260302",
        "PO1*1*100*EA*0.12**BP*BOLT-M8",
        f"ACK*IA*{quantity}*EA*067*20260320",
        "CTT*1",
        "SE*6*0001",
        f"GE*1*{gs}",
        f"IEA*1*{control}",
    ]
    return "~\n".join(segments).encode("ascii") + b"~\n"
