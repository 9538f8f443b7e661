"""`Idempotency-Key` on every POST: the first answer again for the same key and body, 409 for the
same key with another body, per client, stored with the change in one transaction."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.api.auth import Tokens
from tests.api.problem import assert_problem
from tests.api.supplier_builders import commitment, import_order, purchase_order, shipment, x12_855
from tests.api.tenants import Tenants
from tests.api.test_tenancy import app_routes
from tests.api.world import World, build_world
from tests.db_fixtures import unique_id

pytestmark = pytest.mark.anyio

# The OAuth endpoints are RFC 6749/7009/7662 protocol endpoints, not resources: a token request is
# answered afresh each time (a replayed token response would hand out a token twice). The channel
# endpoints have no OAuth client to scope a key to; they de-duplicate by their protocol's own ids
# (cXML payloadID, webhook-id, AS2 Message-ID).
NOT_IDEMPOTENT = {
    ("POST", "/oauth/token"),
    ("POST", "/oauth/introspect"),
    ("POST", "/oauth/revoke"),
    ("POST", "/cxml"),
    ("POST", "/v1/webhooks/{portal}"),
    ("POST", "/as2"),
}

Request = dict[str, Any]
X12 = {"content-type": "application/edi-x12"}


Build = Callable[[World, int], Request]  # n: a variant number, for "another body"


def _production_order(w: World, n: int) -> Request:
    return {
        "json": {
            "order_id": f"MO-{w.a.po_number}-{n}",
            "plant": "P100",
            "start_date": "2026-03-30",
            "components": [],
        }
    }


def _goods_receipt(w: World, n: int) -> Request:
    body = {"receipt_id": f"GR-{w.a.po_number}-{n}", "partner_id": w.a.partner_id, "po_number": w.a.po_number}
    return {"json": body | {"line_number": "1", "quantity": "1", "unit": "EA", "received_on": "2026-03-10"}}


def _edi(prefix: str) -> Build:
    return lambda w, n: {
        "content": x12_855(w.a.isa_id, w.a.po_number, control=f"{prefix}{n:04d}"),
        "headers": X12,
    }


# For every POST: whose token ("a": partner A's client, "internal") and the request.
POSTS: dict[tuple[str, str], tuple[str, Build]] = {
    ("POST", "/v1/supplier/commitments"): (
        "a",
        lambda w, n: {"json": commitment(w.a.po_number, quantity=str(90 + n))},
    ),
    ("POST", "/v1/supplier/shipments"): (
        "a",
        lambda w, n: {"json": shipment(w.a.po_number, shipment_id=f"SH-{n}")},
    ),
    ("POST", "/v1/supplier/edi"): ("a", _edi("00000")),
    ("POST", "/v1/edi"): ("a", _edi("00001")),
    ("POST", "/v1/purchase-orders"): (
        "internal",
        lambda w, n: {
            "json": purchase_order(w.a.partner_id, f"{w.a.po_number}-{n}"),
            "params": {"send": "false"},
        },
    ),
    ("POST", "/v1/production-orders"): ("internal", _production_order),
    ("POST", "/v1/goods-receipts"): ("internal", _goods_receipt),
    ("POST", "/v1/stock"): (
        "internal",
        lambda w, n: {
            "json": {"item": f"I-{w.a.po_number}", "plant": "P100", "quantity": str(n), "unit": "EA"}
        },
    ),
    ("POST", "/v1/exceptions/{exception_id}/acknowledge"): (
        "internal",
        lambda w, n: {"json": {"actor": f"b-{n}"}},
    ),
    ("POST", "/v1/exceptions/{exception_id}/resolve"): (
        "internal",
        lambda w, n: {"json": {"actor": f"b-{n}"}},
    ),
    ("POST", "/v1/exceptions/{exception_id}/notes"): (
        "internal",
        lambda w, n: {"json": {"actor": "buyer", "note": f"note {n}"}},
    ),
    ("POST", "/v1/replays"): (
        "internal",
        lambda w, n: {"json": {"partner_id": w.a.partner_id, "actor": f"ops-{n}"}},
    ),
    ("POST", "/v1/admin/partners/reload"): ("internal", lambda w, n: {"json": {"actor": f"ops-{n}"}}),
}


def test_every_post_route_takes_an_idempotency_key(app: FastAPI) -> None:
    posts = {route for route in app_routes(app) if route[0] == "POST"} - NOT_IDEMPOTENT
    spec = app.openapi()
    for _, path in posts:
        operation = spec["paths"][path]["post"]
        assert "Idempotency-Key" in [p["name"] for p in operation.get("parameters", [])], path
        assert "409" in operation["responses"], path
    assert posts == POSTS.keys(), "a POST without an idempotency case: add it to POSTS"


@pytest.mark.parametrize("route", sorted(POSTS), ids=[p for _, p in sorted(POSTS)])
async def test_the_same_key_and_body_replays_the_first_answer_and_another_body_is_409(
    route: tuple[str, str],
    tokens: Tokens,
    client: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    tenants: Tenants,
) -> None:
    world = await build_world(tokens, client, anonymous, tenants)
    who, build = POSTS[route]
    url = route[1].replace("{exception_id}", str(world.a.exception_id))
    send: Callable[..., Awaitable[httpx.Response]] = (
        world.as_a if who == "a" else (lambda m, u, **kw: client.request(m, u, **kw))
    )
    key = {"Idempotency-Key": unique_id("key")}

    def with_key(request: Request) -> Request:
        return request | {"headers": {**request.get("headers", {}), **key}}

    first = await send("POST", url, **with_key(build(world, 1)))
    again = await send("POST", url, **with_key(build(world, 1)))
    other = await send("POST", url, **with_key(build(world, 2)))

    assert 200 <= first.status_code < 300, first.text
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert_problem(other, 409, type_="/problems/idempotency-key-reused")


async def test_a_replay_changes_nothing_and_keys_are_per_client(
    client: httpx.AsyncClient, supplier_a: httpx.AsyncClient, supplier_b: httpx.AsyncClient, tenants: Tenants
) -> None:
    po_a, po_b = await import_order(client, tenants.a), await import_order(client, tenants.b)
    key = {"Idempotency-Key": "order-42"}
    first = await supplier_a.post(
        "/v1/supplier/shipments", json=shipment(po_a, shipment_id="S1"), headers=key
    )
    cursor = (await client.get("/v1/events", params={"limit": 500})).json()["next_cursor"]

    again = await supplier_a.post(
        "/v1/supplier/shipments", json=shipment(po_a, shipment_id="S1"), headers=key
    )
    b_same_key = await supplier_b.post(
        "/v1/supplier/shipments", json=shipment(po_b, shipment_id="S1"), headers=key
    )

    assert again.json() == first.json()
    assert b_same_key.status_code == 201  # B's key space is B's own
    events = (await client.get("/v1/events", params={"after": cursor})).json()["items"]
    assert {e["partner_id"] for e in events} == {tenants.b}


async def test_an_error_is_not_kept_so_the_key_can_be_used_again(
    client: httpx.AsyncClient, supplier_a: httpx.AsyncClient, tenants: Tenants
) -> None:
    po = await import_order(client, tenants.a)
    key = {"Idempotency-Key": unique_id("key")}

    missing = await supplier_a.post("/v1/supplier/commitments", json=commitment("NO-SUCH-PO"), headers=key)
    fixed = await supplier_a.post("/v1/supplier/commitments", json=commitment(po), headers=key)

    assert missing.status_code == 404
    assert fixed.status_code == 201, fixed.text


async def test_concurrent_requests_with_one_key_make_one_change(
    client: httpx.AsyncClient, supplier_a: httpx.AsyncClient, tenants: Tenants
) -> None:
    po = await import_order(client, tenants.a)
    key = {"Idempotency-Key": unique_id("key")}
    body = shipment(po, quantity="10")

    answers = await asyncio.gather(
        *(supplier_a.post("/v1/supplier/shipments", json=body, headers=key) for _ in range(3))
    )

    assert [a.status_code for a in answers] == [201, 201, 201]
    assert len({a.content for a in answers}) == 1
    assert sum(a.headers.get("idempotent-replayed") == "true" for a in answers) == 2
    line = (await supplier_a.get(f"/v1/supplier/purchase-orders/{po}")).json()["lines"][0]
    assert line["shipped_quantity"] == "10.0000"


@pytest.mark.parametrize("key", ["", "with space", "x" * 256])
async def test_a_malformed_key_is_422(supplier_a: httpx.AsyncClient, key: str) -> None:
    response = await supplier_a.post("/v1/supplier/commitments", json={}, headers={"Idempotency-Key": key})

    body = assert_problem(response, 422, type_="/problems/invalid-request")
    assert any("Idempotency-Key" in e["loc"] for e in body["errors"])
