"""`/v1/partners[/{id}]`: last document per channel, error rate over a window, SLA breaches."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from gateway import canonical
from gateway.canonical.exceptions import OWNERS, Severity
from gateway.kit.clock import FixedClock
from gateway.pipeline.runtime import Runtime
from gateway.store import repositories as repo
from gateway.store.session import session_scope
from tests.api.builders import AT
from tests.api.problem import assert_problem
from tests.api.supplier_builders import commitment, import_order, x12_855
from tests.api.tenants import Tenants

pytestmark = pytest.mark.anyio


def overdue(runtime: Runtime, partner_id: str, po: str, opened_at: dt.datetime) -> None:
    with session_scope(runtime.sessionmaker) as session:
        repo.ExceptionRepository(session).open_or_touch(
            canonical.ExceptionCase(
                type=canonical.ExceptionType.SHIPMENT_OVERDUE,
                severity=Severity.HIGH,
                partner_id=partner_id,
                subject=f"po:{po}:line:1",
                po_number=po,
                line_number="1",
                message="nothing shipped",
                owner=OWNERS[canonical.ExceptionType.SHIPMENT_OVERDUE],
                opened_at=opened_at,
            ),
            at=opened_at,
        )


async def test_a_partners_status_shows_its_channels_error_rate_and_sla_breaches(
    client: httpx.AsyncClient, supplier_a: httpx.AsyncClient, tenants: Tenants, runtime: Runtime
) -> None:
    po = await import_order(client, tenants.a)
    await supplier_a.post("/v1/supplier/commitments", json=commitment(po))
    await supplier_a.post(
        "/v1/edi", content=x12_855(tenants.a_isa, po), headers={"content-type": "application/edi-x12"}
    )
    assert isinstance(runtime.clock, FixedClock)
    runtime.clock.advance(dt.timedelta(minutes=1))  # the unreadable file is the channel's last
    await supplier_a.post("/v1/edi", content=b"ISA*broken", headers={"content-type": "application/edi-x12"})
    overdue(runtime, tenants.a, po, AT - dt.timedelta(days=2))

    body = (await client.get(f"/v1/partners/{tenants.a}")).json()

    assert body["partner_id"] == tenants.a
    assert {c["channel"]: c["last_status"] for c in body["channels"]} == {
        "api": "processed",
        "http": "failed",
    }
    assert (body["documents"], body["failed"], body["error_rate"]) == (3, 1, 0.3333)
    assert body["last_outbound"]["kind"] == "997"
    breaches = {b["type"]: b for b in body["sla_breaches"]}
    assert breaches["shipment_overdue"]["open"] == 1
    assert dt.datetime.fromisoformat(breaches["shipment_overdue"]["oldest_opened_at"]) == AT - dt.timedelta(
        days=2
    )
    assert breaches["no_po_ack"]["open"] == 0
    assert body["open_exceptions"] >= 2


async def test_the_list_has_every_configured_partner_and_an_unknown_one_is_404(
    client: httpx.AsyncClient, tenants: Tenants
) -> None:
    listed = (await client.get("/v1/partners", params={"days": 30})).json()["items"]

    by_id = {p["partner_id"]: p for p in listed}
    assert {tenants.a, tenants.b, tenants.disabled, "acme-fasteners"} <= by_id.keys()
    assert by_id[tenants.disabled]["enabled"] is False
    assert (
        by_id[tenants.b]["documents"],
        by_id[tenants.b]["error_rate"],
        by_id[tenants.b]["window_days"],
    ) == (0, None, 30)
    assert_problem(await client.get("/v1/partners/nobody"), 404, type_="/problems/unknown-partner")
    assert_problem(await client.get("/v1/partners", params={"days": 0}), 422)
