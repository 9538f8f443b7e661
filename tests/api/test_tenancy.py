"""Tenants are walls: for EVERY route of the app, a token of partner A neither reads nor changes
partner B's data, and a supplier's token cannot use the internal routes.

`PROBES` has one entry per route (method, path). `test_every_route_of_the_app_has_a_tenancy_probe`
walks `app.routes`, so a new route without a probe here fails the suite. Each probe is run against
a world where A and B both have a purchase order, an exception, a document and a receipt
(`tests.api.world`), and checks:

- supplier routes: B's resource answers 404 exactly as a missing one, lists hold nothing of B's;
- internal routes: 403 insufficient_scope for A's token, whatever resource is named;
- public routes (probes, OAuth metadata, JWKS, the docs) and the OAuth endpoints: nothing of B's
  comes back, A's credentials get nothing for B's client or token;
- and after every probe, B's purchase order, exceptions and documents are what they were.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from tests.api.auth import Tokens
from tests.api.problem import assert_problem
from tests.api.supplier_builders import commitment, purchase_order, shipment, x12_855
from tests.api.tenants import Tenants
from tests.api.world import World, build_world

pytestmark = pytest.mark.anyio

Probe = Callable[[World], Awaitable[None]]
X12 = {"content-type": "application/edi-x12"}


def assert_nothing_of_b(world: World, response: httpx.Response) -> None:
    """No identifier of B's in the answer (the `instance`, the caller's own path, aside)."""
    text = response.text.replace(response.request.url.path, "")
    for identifier in world.b_identifiers():
        assert identifier not in text, (identifier, response.request.url)


def assert_missing(world: World, response: httpx.Response) -> None:
    """404, and nothing in it but what the caller sent."""
    assert_problem(response, 404, type_="/problems/not-found")
    text = response.text
    for sent in (world.b.po_number, world.b.document_id, str(world.b.exception_id)):
        text = text.replace(sent, "")
    for identifier in (world.b.partner_id, world.b.receipt_id, world.b.isa_id):
        assert identifier not in text


def internal(method: str, url: Callable[[World], str], **request: object) -> Probe:
    """An internal route: A's supplier token is refused with 403 whatever it names."""

    async def probe(world: World) -> None:
        response = await world.as_a(method, url(world), **request)
        assert_problem(response, 403, type_="/problems/insufficient-scope")
        assert_nothing_of_b(world, response)

    return probe


async def metrics_probe(world: World) -> None:
    """`/metrics` is open (for the scraper, like the probes): counts by partner id, never a record."""
    response = await world.as_a("GET", "/metrics")
    assert response.status_code == 200
    for secret in (world.b.po_number, world.b.receipt_id, world.b.document_id):
        assert str(secret) not in response.text


def public(url: str) -> Probe:
    async def probe(world: World) -> None:
        response = await world.as_a("GET", url)
        assert response.status_code == 200, response.text
        assert_nothing_of_b(world, response)

    return probe


async def list_orders(world: World) -> None:
    for params in ({}, {"open": "false"}, {"item": "BOLT-M8"}):
        response = await world.as_a("GET", "/v1/supplier/purchase-orders", params=params)
        assert response.status_code == 200
        assert world.a.po_number in response.text
        assert_nothing_of_b(world, response)


async def get_order(world: World) -> None:
    assert_missing(world, await world.as_a("GET", f"/v1/supplier/purchase-orders/{world.b.po_number}"))


async def post_commitment(world: World) -> None:
    response = await world.as_a("POST", "/v1/supplier/commitments", json=commitment(world.b.po_number))
    assert_missing(world, response)


async def post_shipment(world: World) -> None:
    mixed = shipment(world.a.po_number)
    mixed["lines"].append({"po_number": world.b.po_number, "line_number": "1", "quantity": "5", "unit": "EA"})
    assert_missing(world, await world.as_a("POST", "/v1/supplier/shipments", json=mixed))


def post_edi(path: str) -> Probe:
    async def probe(world: World) -> None:
        # B's envelope identity: refused before anything is stored, without naming B.
        claimed = await world.as_a(
            "POST", path, content=x12_855(world.b.isa_id, world.b.po_number), headers=X12
        )
        assert_problem(claimed, 422, type_="/problems/sender-mismatch")
        assert world.b.partner_id not in claimed.text
        # A's own identity about B's PO: A's document, an unknown PO to A, B untouched.
        own = await world.as_a(
            "POST", path, content=x12_855(world.a.isa_id, world.b.po_number, control="000000777"), headers=X12
        )
        assert own.status_code == 201, own.text
        assert [e["type"] for e in own.json()["exceptions"]] == ["unknown_po"]
        assert world.b.partner_id not in own.text

    return probe


async def list_exceptions(world: World) -> None:
    response = await world.as_a("GET", "/v1/supplier/exceptions")
    assert [e["id"] for e in response.json()["items"]] == [world.a.exception_id]
    assert_nothing_of_b(world, response)


async def get_exception(world: World) -> None:
    assert_missing(world, await world.as_a("GET", f"/v1/supplier/exceptions/{world.b.exception_id}"))


async def get_document(world: World) -> None:
    assert_missing(world, await world.as_a("GET", f"/v1/supplier/documents/{world.b.document_id}"))


async def token(world: World) -> None:
    a_secret = world.a.credentials.secret or ""
    for auth in ((world.b.credentials.client_id, a_secret), (world.a.credentials.client_id, "guess")):
        response = await world.anonymous.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=auth
        )
        assert_problem(response, 401, type_="/problems/oauth/invalid_client")


async def introspect(world: World) -> None:
    response = await world.anonymous.post(
        "/oauth/introspect", data={"token": world.b.token}, auth=world.a.credentials.basic
    )
    assert response.json() == {"active": False}


async def revoke(world: World) -> None:
    response = await world.anonymous.post(
        "/oauth/revoke", data={"token": world.b.token}, auth=world.a.credentials.basic
    )
    assert response.status_code == 200
    still = await world.anonymous.get("/v1/supplier/exceptions", headers=world.b.headers)
    assert still.status_code == 200  # B's token works: A could not revoke it


def _cxml_confirmation(po_number: str) -> bytes:
    """A cXML ConfirmationRequest about `po_number` from credentials no partner file names."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<cXML payloadID="tenancy@probe" timestamp="2026-03-02T09:00:00+00:00">
  <Header>
    <From><Credential domain="NetworkID"><Identity>nobody-we-know</Identity></Credential></From>
    <To><Credential domain="NetworkID"><Identity>GATEWAYBUYER</Identity></Credential></To>
    <Sender><Credential domain="NetworkID"><Identity>nobody-we-know</Identity>
      <SharedSecret>guess</SharedSecret></Credential><UserAgent>probe</UserAgent></Sender>
  </Header>
  <Request><ConfirmationRequest>
    <ConfirmationHeader type="accept" noticeDate="2026-03-02T09:00:00+00:00"/>
    <OrderReference orderID="{po_number}"><DocumentReference payloadID="x"/></OrderReference>
  </ConfirmationRequest></Request>
</cXML>""".encode()


def channel(path: Callable[[World], str], body: Callable[[World], bytes], content_type: str) -> Probe:
    """A channel endpoint authenticated by its own credentials (cXML SharedSecret, webhook or AS2
    signatures), not by OAuth: A's bearer token opens nothing, a body about B's order changes nothing."""

    async def probe(world: World) -> None:
        response = await world.as_a(
            "POST", path(world), content=body(world), headers={"content-type": content_type}
        )
        refused = response.status_code >= 400 or '<Status code="401"' in response.text
        assert refused, response.text
        assert_nothing_of_b(world, response)

    return probe


def _b_po(w: World) -> str:
    return f"/v1/purchase-orders/{w.b.po_number}?partner_id={w.b.partner_id}"


def _b_case(action: str) -> Callable[[World], str]:
    return lambda w: f"/v1/exceptions/{w.b.exception_id}{action}"


PROBES: dict[tuple[str, str], Probe] = {
    # supplier API: A's token, B's resources
    ("GET", "/v1/supplier/purchase-orders"): list_orders,
    ("GET", "/v1/supplier/purchase-orders/{po_number}"): get_order,
    ("POST", "/v1/supplier/commitments"): post_commitment,
    ("POST", "/v1/supplier/shipments"): post_shipment,
    ("POST", "/v1/supplier/edi"): post_edi("/v1/supplier/edi"),
    ("POST", "/v1/edi"): post_edi("/v1/edi"),
    ("GET", "/v1/supplier/exceptions"): list_exceptions,
    ("GET", "/v1/supplier/exceptions/{exception_id}"): get_exception,
    ("GET", "/v1/supplier/documents/{document_id}"): get_document,
    # internal routes: a supplier's token is refused
    ("GET", "/v1/documents"): internal("GET", lambda w: f"/v1/documents?partner_id={w.b.partner_id}"),
    ("GET", "/v1/documents/{document_id}"): internal("GET", lambda w: f"/v1/documents/{w.b.document_id}"),
    ("GET", "/v1/receipts/{receipt_id}"): internal("GET", lambda w: f"/v1/receipts/{w.b.receipt_id}"),
    ("GET", "/v1/receipts/{receipt_id}/raw"): internal("GET", lambda w: f"/v1/receipts/{w.b.receipt_id}/raw"),
    ("GET", "/v1/production-orders"): internal("GET", lambda w: "/v1/production-orders"),
    ("GET", "/v1/production-orders/{order_id}"): internal("GET", lambda w: "/v1/production-orders/MO-1"),
    ("GET", "/v1/partners"): internal("GET", lambda w: "/v1/partners"),
    ("GET", "/v1/dead-letters"): internal("GET", lambda w: f"/v1/dead-letters?partner_id={w.b.partner_id}"),
    ("GET", "/v1/audit-log"): internal("GET", lambda w: "/v1/audit-log"),
    ("POST", "/v1/replays"): internal("POST", lambda w: "/v1/replays", json={"receipt_ids": ["any"]}),
    ("POST", "/v1/admin/partners/reload"): internal("POST", lambda w: "/v1/admin/partners/reload", json={}),
    ("GET", "/v1/partners/{partner_id}"): internal("GET", lambda w: f"/v1/partners/{w.b.partner_id}"),
    ("GET", "/v1/purchase-orders"): internal(
        "GET", lambda w: f"/v1/purchase-orders?partner_id={w.b.partner_id}"
    ),
    ("GET", "/v1/purchase-orders/{po_number}"): internal("GET", _b_po),
    ("POST", "/v1/purchase-orders"): internal(
        "POST", lambda w: "/v1/purchase-orders", json=purchase_order("placeholder")
    ),
    ("POST", "/v1/production-orders"): internal("POST", lambda w: "/v1/production-orders", json={}),
    ("POST", "/v1/goods-receipts"): internal("POST", lambda w: "/v1/goods-receipts", json={}),
    ("POST", "/v1/stock"): internal("POST", lambda w: "/v1/stock", json={}),
    ("GET", "/v1/exceptions"): internal("GET", lambda w: f"/v1/exceptions?partner_id={w.b.partner_id}"),
    ("GET", "/v1/exceptions/{exception_id}"): internal("GET", _b_case("")),
    ("POST", "/v1/exceptions/{exception_id}/acknowledge"): internal(
        "POST", _b_case("/acknowledge"), json={"actor": "a"}
    ),
    ("POST", "/v1/exceptions/{exception_id}/resolve"): internal(
        "POST", _b_case("/resolve"), json={"actor": "a"}
    ),
    ("POST", "/v1/exceptions/{exception_id}/notes"): internal(
        "POST", _b_case("/notes"), json={"actor": "a", "note": "n"}
    ),
    ("GET", "/v1/events"): internal("GET", lambda w: "/v1/events"),
    # channels with their own credentials: a bearer token is not one
    ("POST", "/cxml"): channel(lambda w: "/cxml", lambda w: _cxml_confirmation(w.b.po_number), "text/xml"),
    ("POST", "/v1/webhooks/{portal}"): channel(
        lambda w: "/v1/webhooks/supplyhub",
        lambda w: b'{"type": "order.confirmed", "po_number": "%s"}' % w.b.po_number.encode(),
        "application/json",
    ),
    ("POST", "/as2"): channel(
        lambda w: "/as2", lambda w: x12_855(w.b.isa_id, w.b.po_number), "application/edi-x12"
    ),
    # OAuth: A's credentials get nothing of B's
    ("POST", "/oauth/token"): token,
    ("POST", "/oauth/introspect"): introspect,
    ("POST", "/oauth/revoke"): revoke,
    # public: nothing of any tenant in them
    ("GET", "/.well-known/oauth-authorization-server"): public("/.well-known/oauth-authorization-server"),
    ("GET", "/.well-known/jwks.json"): public("/.well-known/jwks.json"),
    ("GET", "/healthz"): public("/healthz"),
    ("GET", "/readyz"): public("/readyz"),
    ("GET", "/metrics"): metrics_probe,
    ("GET", "/openapi.json"): public("/openapi.json"),
    ("GET", "/docs"): public("/docs"),
    ("GET", "/docs/oauth2-redirect"): public("/docs/oauth2-redirect"),
    ("GET", "/redoc"): public("/redoc"),
}


@dataclass(frozen=True)
class RouteKey:
    method: str
    path: str


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves (HEAD aside: Starlette adds it to every GET)."""
    found = set()
    for route in iter_route_contexts(app.routes):
        assert route.path is not None
        for method in route.methods or ():
            if method != "HEAD":
                found.add((method, route.path))
    return found


def test_every_route_of_the_app_has_a_tenancy_probe(app: FastAPI) -> None:
    routes = app_routes(app)
    assert routes - PROBES.keys() == set(), "a route without a tenancy probe: add one to PROBES"
    assert PROBES.keys() - routes == set(), "a probe for a route the app no longer has"


@pytest.mark.parametrize("route", sorted(PROBES), ids=[f"{m} {p}" for m, p in sorted(PROBES)])
async def test_partner_a_cannot_read_or_change_partner_bs_data(
    route: tuple[str, str],
    tokens: Tokens,
    client: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    tenants: Tenants,
) -> None:
    world = await build_world(tokens, client, anonymous, tenants)
    before = await world.snapshot_b()

    await PROBES[route](world)

    assert await world.snapshot_b() == before
