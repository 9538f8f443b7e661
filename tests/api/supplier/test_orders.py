"""`GET /v1/supplier/purchase-orders[/{po_number}]`: a partner's own orders, open lines, filters and
cursor pages; another partner's order is 404."""

from __future__ import annotations

import httpx
import pytest

from tests.api.problem import assert_problem
from tests.api.supplier_builders import import_order, shipment
from tests.api.tenants import Tenants

pytestmark = pytest.mark.anyio


async def test_a_supplier_lists_its_orders_with_their_open_lines_and_not_another_partners(
    client: httpx.AsyncClient, supplier_a: httpx.AsyncClient, tenants: Tenants
) -> None:
    mine = await import_order(client, tenants.a)
    theirs = await import_order(client, tenants.b)
    # line 2 fully shipped: no longer open
    ship = shipment(mine, quantity="50")
    ship["lines"][0]["line_number"] = "2"
    assert (await supplier_a.post("/v1/supplier/shipments", json=ship)).status_code == 201

    body = (await supplier_a.get("/v1/supplier/purchase-orders")).json()

    assert [o["po_number"] for o in body["items"]] == [mine]
    assert theirs not in str(body)
    (order,) = body["items"]
    assert [line["line_number"] for line in order["lines"]] == ["1"]
    assert order["lines"][0]["open_quantity"] == "100.0000"
    assert body["next_cursor"] is None
    everything = (await supplier_a.get("/v1/supplier/purchase-orders", params={"open": "false"})).json()
    assert [line["line_number"] for line in everything["items"][0]["lines"]] == ["1", "2"]


async def test_filters_and_cursor_pages(
    client: httpx.AsyncClient, supplier_a: httpx.AsyncClient, tenants: Tenants
) -> None:
    numbers = sorted([await import_order(client, tenants.a) for _ in range(3)])

    first = (await supplier_a.get("/v1/supplier/purchase-orders", params={"limit": 2})).json()
    second = (
        await supplier_a.get(
            "/v1/supplier/purchase-orders", params={"limit": 2, "cursor": first["next_cursor"]}
        )
    ).json()

    assert [o["po_number"] for o in first["items"]] == numbers[:2]
    assert [o["po_number"] for o in second["items"]] == numbers[2:]
    assert second["next_cursor"] is None

    async def listed(**params: str) -> list[str]:
        answer = await supplier_a.get("/v1/supplier/purchase-orders", params=params)
        assert answer.status_code == 200, answer.text
        return [o["po_number"] for o in answer.json()["items"]]

    assert await listed(item="SUP-BOLT") == numbers  # the supplier's own item number
    assert await listed(item="NOPE") == []
    assert await listed(requested_from="2026-03-21") == numbers  # line 2 (27th) matches
    only_line_2 = (
        await supplier_a.get("/v1/supplier/purchase-orders", params={"requested_from": "2026-03-21"})
    ).json()
    assert {line["line_number"] for o in only_line_2["items"] for line in o["lines"]} == {"1", "2"}
    assert await listed(requested_to="2026-03-01") == []
    assert await listed(status="imported") == numbers
    assert await listed(status="sent") == []
    assert await listed(updated_since="2026-03-03T00:00:00+00:00") == []


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "!!"},
        {"cursor": "bm90LW91cnM"},
        {"limit": "0"},
        {"status": "lost"},
        {"updated_since": "2026-03-01"},
        {"updated_since": "1772442000"},
        {"requested_from": "0.0"},
    ],
    ids=["not base64", "not ours", "limit 0", "unknown status", "naive time", "unix time", "numeric date"],
)
async def test_bad_list_parameters_are_422(supplier_a: httpx.AsyncClient, params: dict[str, str]) -> None:
    assert_problem(await supplier_a.get("/v1/supplier/purchase-orders", params=params), 422)


async def test_one_order_has_every_line_and_another_partners_order_is_404_like_a_missing_one(
    client: httpx.AsyncClient, supplier_a: httpx.AsyncClient, tenants: Tenants
) -> None:
    mine = await import_order(client, tenants.a)
    theirs = await import_order(client, tenants.b)

    order = (await supplier_a.get(f"/v1/supplier/purchase-orders/{mine}")).json()
    other = await supplier_a.get(f"/v1/supplier/purchase-orders/{theirs}")
    missing = await supplier_a.get("/v1/supplier/purchase-orders/NO-SUCH-PO")

    assert [line["buyer_item"] for line in order["lines"]] == ["BOLT-M8", "NUT-M8"]
    assert order["ship_to"] == "P100"
    other_body = assert_problem(other, 404, type_="/problems/not-found")
    missing_body = assert_problem(missing, 404, type_="/problems/not-found")
    # The same answer as for a PO nobody has, up to the number the caller sent itself.
    assert other.text.replace(theirs, "X") == missing.text.replace("NO-SUCH-PO", "X")
    assert other_body.keys() == missing_body.keys()


async def test_an_internal_token_cannot_use_the_supplier_api(client: httpx.AsyncClient) -> None:
    assert_problem(
        await client.get("/v1/supplier/purchase-orders"), 403, type_="/problems/insufficient-scope"
    )
