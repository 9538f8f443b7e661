"""`/v1/production-orders`: components and the risk to each (production_at_risk, with the PO lines
responsible), as pegging found it; it changes when the supplier's commitment does."""

from __future__ import annotations

import httpx
import pytest

from tests.api.problem import assert_problem
from tests.api.supplier_builders import commitment, import_order, purchase_order
from tests.api.tenants import Tenants
from tests.db_fixtures import unique_id

pytestmark = pytest.mark.anyio


async def order_needing(
    client: httpx.AsyncClient, item: str, *, quantity: str = "80", need: str = "2026-03-15"
) -> str:
    order_id = unique_id("MO")
    body = {
        "order_id": order_id,
        "plant": "P100",
        "item": "PUMP-1",
        "start_date": need,
        "components": [{"item": item, "quantity": quantity, "unit": "EA", "need_date": need}],
    }
    assert (await client.post("/v1/production-orders", json=body)).status_code == 200
    return order_id


async def test_an_order_supplied_too_late_is_at_risk_naming_the_po_line_until_the_supplier_commits_earlier(
    client: httpx.AsyncClient, supplier_a: httpx.AsyncClient, tenants: Tenants
) -> None:
    item = unique_id("ITEM")
    lines = purchase_order(tenants.a)["lines"][:1]
    lines[0] |= {"buyer_item": item}  # requested 2026-03-20: after the need date
    po = await import_order(client, tenants.a, lines=lines)
    order_id = await order_needing(client, item)

    body = (await client.get(f"/v1/production-orders/{order_id}")).json()

    assert body["at_risk"] is True
    assert body["components"] == [
        {"item": item, "quantity": "80.0000", "unit": "EA", "need_date": "2026-03-15"}
    ]
    (risk,) = body["risks"]
    assert (risk["item"], risk["need_date"], risk["expected_supply_date"], risk["days_late"]) == (
        item,
        "2026-03-15",
        "2026-03-20",
        5,
    )
    assert risk["partner_id"] == tenants.a
    assert risk["po_lines"] == [{"po_number": po, "line_number": "1"}]
    listed = (await client.get("/v1/production-orders", params={"item": item, "at_risk": "true"})).json()
    assert [o["order_id"] for o in listed["items"]] == [order_id]

    early = commitment(po)
    early["lines"][0]["date"] = "2026-03-14"
    assert (await supplier_a.post("/v1/supplier/commitments", json=early)).status_code == 201

    after = (await client.get(f"/v1/production-orders/{order_id}")).json()
    assert (after["at_risk"], after["risks"]) == (False, [])
    safe = (await client.get("/v1/production-orders", params={"item": item, "at_risk": "false"})).json()
    assert [o["order_id"] for o in safe["items"]] == [order_id]


async def test_unknown_production_order_is_404_and_a_page_says_where_to_go_on(
    client: httpx.AsyncClient,
) -> None:
    item = unique_id("ITEM")
    ids = [await order_needing(client, item, need=f"2026-04-0{n}") for n in (1, 2)]  # by start date

    assert_problem(await client.get("/v1/production-orders/NO-SUCH-MO"), 404)
    page = (await client.get("/v1/production-orders", params={"item": item, "limit": 1})).json()
    assert [o["order_id"] for o in page["items"]] == ids[:1]
    assert page["next_offset"] == 1
