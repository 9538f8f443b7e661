"""`GET /v1/supplier/exceptions[/{id}]`: the exceptions about a partner's own lines and documents;
production-at-risk stays internal; another partner's exception is 404."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from gateway import canonical
from gateway.canonical.exceptions import OWNERS, Severity
from gateway.pipeline.runtime import Runtime
from gateway.store import repositories as repo
from gateway.store.session import session_scope
from tests.api.builders import AT
from tests.api.problem import assert_problem
from tests.api.supplier_builders import commitment, import_order
from tests.api.tenants import Tenants

pytestmark = pytest.mark.anyio


def at_risk_case(runtime: Runtime, partner_id: str, po_number: str) -> int:
    with session_scope(runtime.sessionmaker) as session:
        row, _ = repo.ExceptionRepository(session).open_or_touch(
            canonical.ExceptionCase(
                type=canonical.ExceptionType.PRODUCTION_AT_RISK,
                severity=Severity.CRITICAL,
                partner_id=partner_id,
                subject=f"production:MO-{po_number}:item:BOLT-M8",
                po_number=po_number,
                line_number="1",
                message="MO short of BOLT-M8",
                owner=OWNERS[canonical.ExceptionType.PRODUCTION_AT_RISK],
                impacted_production_orders=(f"MO-{po_number}",),
                opened_at=AT,
            ),
            at=AT,
        )
        return row.id


async def test_a_supplier_sees_its_own_exceptions_but_not_internal_ones_nor_another_partners(
    client: httpx.AsyncClient,
    supplier_a: httpx.AsyncClient,
    supplier_b: httpx.AsyncClient,
    tenants: Tenants,
    runtime: Runtime,
) -> None:
    mine, theirs = await import_order(client, tenants.a), await import_order(client, tenants.b)
    short = (await supplier_a.post("/v1/supplier/commitments", json=commitment(mine, quantity="80"))).json()
    other = (await supplier_b.post("/v1/supplier/commitments", json=commitment(theirs, quantity="70"))).json()
    internal = at_risk_case(runtime, tenants.a, mine)
    mine_id, theirs_id = short["exceptions"][0]["id"], other["exceptions"][0]["id"]

    listed = (await supplier_a.get("/v1/supplier/exceptions")).json()

    assert [e["id"] for e in listed["items"]] == [mine_id]
    assert "impacted_production_orders" not in listed["items"][0]
    assert (await supplier_a.get(f"/v1/supplier/exceptions/{mine_id}")).json()["type"] == "quantity_short"
    for hidden in (theirs_id, internal, 2**62):
        assert_problem(
            await supplier_a.get(f"/v1/supplier/exceptions/{hidden}"), 404, type_="/problems/not-found"
        )
    none = await supplier_a.get("/v1/supplier/exceptions", params={"type": "production_at_risk"})
    assert none.json()["items"] == []
    assert internal in [
        e["id"]
        for e in (await client.get("/v1/exceptions", params={"partner_id": tenants.a})).json()["items"]
    ]


async def test_exception_filters_and_cursor_pages(
    client: httpx.AsyncClient, supplier_a: httpx.AsyncClient, tenants: Tenants
) -> None:
    ids = []
    for _ in range(3):
        po = await import_order(client, tenants.a)
        answer = (
            await supplier_a.post("/v1/supplier/commitments", json=commitment(po, quantity="80"))
        ).json()
        ids.append(answer["exceptions"][0]["id"])

    first = (await supplier_a.get("/v1/supplier/exceptions", params={"limit": 2})).json()
    rest = (await supplier_a.get("/v1/supplier/exceptions", params={"cursor": first["next_cursor"]})).json()
    assert [e["id"] for e in first["items"] + rest["items"]] == ids
    assert rest["next_cursor"] is None
    resolved = await supplier_a.get("/v1/supplier/exceptions", params={"status": "resolved"})
    assert resolved.json()["items"] == []
    one_po = (await supplier_a.get("/v1/supplier/exceptions", params={"po_number": po})).json()
    assert [e["id"] for e in one_po["items"]] == ids[-1:]
    assert dt.datetime.fromisoformat(one_po["items"][0]["opened_at"]) == AT
