from __future__ import annotations

from typing import Any

import httpx
import pytest

from gateway.api.limits import DEFAULT_MAX_BODY_BYTES
from tests.api.problem import assert_problem
from tests.db_fixtures import unique_id

pytestmark = pytest.mark.anyio

PARTNER = "acme-fasteners"


def purchase_order(
    po_number: str, *, revision: int = 0, quantity: str = "100", **changes: Any
) -> dict[str, Any]:
    return {
        "po_number": po_number,
        "revision": revision,
        "partner_id": PARTNER,
        "plant": "P100",
        "order_date": "2026-03-01",
        "lines": [
            {
                "line_number": "1",
                "buyer_item": "FST-1001",
                "supplier_item": "ACF-M830Z",
                "quantity": quantity,
                "unit": "EA",
                "unit_price": "0.082",
                "requested_date": "2026-03-17",
            }
        ],
    } | changes


async def test_posting_a_purchase_order_stores_it_and_sends_the_supplier_an_850(
    client: httpx.AsyncClient,
) -> None:
    po_number = unique_id("PO")

    response = await client.post("/v1/purchase-orders", json=purchase_order(po_number))

    assert response.status_code == 202, response.text
    body = response.json()
    assert body["purchase_orders"] == [po_number]
    assert (body["revised"], body["stale"]) == ([], [])
    assert [(s["po_number"], s["partner_id"], s["kind"]) for s in body["sent"]] == [
        (po_number, PARTNER, "850")
    ]
    stored = (await client.get(f"/v1/purchase-orders/{po_number}")).json()
    assert stored["status"] == "sent"
    assert stored["lines"][0]["quantity"] == "100.0000"


async def test_a_newer_revision_is_sent_as_a_change_and_an_older_one_is_stale(
    client: httpx.AsyncClient,
) -> None:
    po_number = unique_id("PO")
    await client.post("/v1/purchase-orders", json=purchase_order(po_number))

    revised = await client.post(
        "/v1/purchase-orders", json=purchase_order(po_number, revision=1, quantity="120")
    )
    again = await client.post(
        "/v1/purchase-orders", json=[purchase_order(po_number, revision=1, quantity="999")]
    )

    assert revised.status_code == 202, revised.text
    assert revised.json()["revised"] == [po_number]
    assert [s["kind"] for s in revised.json()["sent"]] == ["860"]
    assert again.status_code == 202
    assert (again.json()["stale"], again.json()["sent"]) == ([po_number], [])
    stored = (await client.get(f"/v1/purchase-orders/{po_number}")).json()
    assert (stored["revision"], stored["lines"][0]["quantity"]) == (1, "120.0000")


async def test_send_false_stores_the_orders_without_sending(client: httpx.AsyncClient) -> None:
    numbers = [unique_id("PO"), unique_id("PO")]

    response = await client.post(
        "/v1/purchase-orders", params={"send": "false"}, json=[purchase_order(n) for n in numbers]
    )

    assert response.status_code == 202
    assert response.json()["purchase_orders"] == numbers
    assert response.json()["sent"] == []
    assert (await client.get(f"/v1/purchase-orders/{numbers[1]}")).json()["status"] == "imported"


async def test_a_purchase_order_for_an_unknown_partner_is_404_and_stores_nothing(
    client: httpx.AsyncClient,
) -> None:
    known, unknown = unique_id("PO"), unique_id("PO")
    orders = [purchase_order(known), purchase_order(unknown, partner_id="no-such-partner")]

    response = await client.post("/v1/purchase-orders", json=orders)

    body = assert_problem(response, 404, type_="/problems/unknown-partner")
    assert body["partner_id"] == "no-such-partner"
    assert_problem(await client.get(f"/v1/purchase-orders/{known}"), 404)


@pytest.mark.parametrize(
    "order",
    [
        {"po_number": "PO-1"},
        purchase_order("PO-1", lines=[]),
        purchase_order("PO-1", quantity="-1"),
        purchase_order("PO-1", unexpected=True),
    ],
    ids=["missing fields", "no lines", "negative quantity", "unknown field"],
)
async def test_an_invalid_body_is_a_422_problem(client: httpx.AsyncClient, order: dict[str, Any]) -> None:
    response = await client.post("/v1/purchase-orders", json=order)

    body = assert_problem(response, 422, type_="/problems/invalid-request")
    assert body["errors"]


async def test_a_body_over_the_limit_is_a_413_problem(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/stock", content=b" " * (DEFAULT_MAX_BODY_BYTES + 1), headers={"content-type": "application/json"}
    )

    assert_problem(response, 413, type_="/problems/request-too-large")


async def test_production_orders_goods_receipts_and_stock_are_imported(client: httpx.AsyncClient) -> None:
    po_number, order_id, item = unique_id("PO"), unique_id("MO"), unique_id("ITEM")
    await client.post("/v1/purchase-orders", params={"send": "false"}, json=purchase_order(po_number))
    component = {"item": item, "quantity": "80", "unit": "EA", "need_date": "2026-03-20"}
    production = {
        "order_id": order_id,
        "plant": "P100",
        "start_date": "2026-03-20",
        "components": [component],
    }
    receipt = {
        "receipt_id": unique_id("GR"),
        "partner_id": PARTNER,
        "po_number": po_number,
        "line_number": "1",
        "quantity": "40",
        "unit": "EA",
        "received_on": "2026-03-10",
    }
    unmatched = receipt | {"receipt_id": unique_id("GR"), "po_number": unique_id("PO")}
    stock = {"item": item, "plant": "P100", "quantity": "10", "unit": "EA"}

    produced = await client.post("/v1/production-orders", json=production)
    received = await client.post("/v1/goods-receipts", json=[receipt, unmatched])
    stocked = await client.post("/v1/stock", json=[stock])

    assert (produced.status_code, received.status_code, stocked.status_code) == (200, 200, 200)
    assert produced.json()["production_orders"] == [order_id]
    assert received.json()["goods_receipts"] == [receipt["receipt_id"], unmatched["receipt_id"]]
    assert received.json()["unmatched_receipts"] == [unmatched["receipt_id"]]
    assert stocked.json()["stock"] == 1
    line = (await client.get(f"/v1/purchase-orders/{po_number}")).json()["lines"][0]
    assert line["received_quantity"] == "40.0000"
