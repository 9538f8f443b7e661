from __future__ import annotations

import httpx
import pytest

from gateway.pipeline.runtime import Runtime
from gateway.store.session import session_scope
from tests.api import builders
from tests.api.problem import assert_problem
from tests.db_fixtures import unique_id

pytestmark = pytest.mark.anyio


def store_po(runtime: Runtime, partner_id: str, po_number: str) -> None:
    with session_scope(runtime.sessionmaker) as session:
        builders.make_purchase_order(session, partner_id, po_number)


async def test_lists_a_partners_purchase_orders_by_number(
    client: httpx.AsyncClient, runtime: Runtime, partner_id: str
) -> None:
    store_po(runtime, partner_id, "PO-B")
    store_po(runtime, partner_id, "PO-A")

    response = await client.get("/v1/purchase-orders", params={"partner_id": partner_id})

    assert response.status_code == 200
    body = response.json()
    assert [po["po_number"] for po in body["items"]] == ["PO-A", "PO-B"]
    assert body["next_offset"] is None
    assert body["items"][0] | {"updated_at": None} == {
        "partner_id": partner_id,
        "po_number": "PO-A",
        "revision": 0,
        "plant": "P100",
        "currency": "USD",
        "order_date": "2026-03-01",
        "status": "imported",
        "sent_at": None,
        "updated_at": None,
    }
    page = (await client.get("/v1/purchase-orders", params={"partner_id": partner_id, "limit": 1})).json()
    assert page["next_offset"] == 1


async def test_shows_ordered_committed_shipped_received_and_open_quantities_per_line(
    client: httpx.AsyncClient, runtime: Runtime, partner_id: str
) -> None:
    po_number = unique_id("PO")
    store_po(runtime, partner_id, po_number)

    response = await client.get(f"/v1/purchase-orders/{po_number}")

    assert response.status_code == 200
    body = response.json()
    assert (body["partner_id"], body["po_number"]) == (partner_id, po_number)
    first, second = body["lines"]
    assert first == {
        "line_number": "1",
        "buyer_item": "BOLT-M8",
        "supplier_item": "AF-100",
        "quantity": "100.0000",
        "unit": "EA",
        "unit_price": "0.120000",
        "requested_date": "2026-03-15",
        "cancelled": False,
        "ack_status": "accepted_with_changes",
        "committed_quantity": "80.0000",
        "committed_date": "2026-03-20",
        "committed_price": "0.120000",
        "committed_schedule": [
            {"quantity": "50", "unit": "EA", "date": "2026-03-15", "date_kind": "delivery"},
            {"quantity": "30", "unit": "EA", "date": "2026-03-20", "date_kind": "ship"},
        ],
        "shipped_quantity": "30.0000",
        "received_quantity": "20.0000",
        "open_quantity": "70.0000",
    }
    assert (second["shipped_quantity"], second["open_quantity"]) == ("12.0000", "0")
    assert second["ack_status"] is None
    assert second["committed_schedule"] == []


async def test_partner_id_picks_the_po_when_two_partners_use_the_number(
    client: httpx.AsyncClient, runtime: Runtime, partner_id: str
) -> None:
    po_number = unique_id("PO")
    other = unique_id("partner")
    store_po(runtime, partner_id, po_number)
    store_po(runtime, other, po_number)

    assert_problem(await client.get(f"/v1/purchase-orders/{po_number}"), 409, type_="/problems/conflict")
    picked = await client.get(f"/v1/purchase-orders/{po_number}", params={"partner_id": other})
    assert picked.status_code == 200
    assert picked.json()["partner_id"] == other


async def test_unknown_purchase_order_is_a_404_problem(client: httpx.AsyncClient, partner_id: str) -> None:
    assert_problem(await client.get("/v1/purchase-orders/NO-SUCH-PO"), 404, type_="/problems/not-found")
    po_number = unique_id("PO")
    assert_problem(
        await client.get(f"/v1/purchase-orders/{po_number}", params={"partner_id": partner_id}), 404
    )


@pytest.mark.parametrize("params", [{"limit": "x"}, {"offset": "-1"}, {"partner_id": "a" * 65}])
async def test_invalid_purchase_order_filters_are_a_422_problem(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    assert_problem(
        await client.get("/v1/purchase-orders", params=params), 422, type_="/problems/invalid-request"
    )
