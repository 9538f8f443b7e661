from __future__ import annotations

import datetime as dt

import httpx
import pytest

from gateway import canonical
from gateway.canonical.exceptions import OWNERS, Severity
from gateway.pipeline.runtime import Runtime
from gateway.store import repositories as repo
from gateway.store.session import session_scope
from tests.api import builders
from tests.api.builders import AT
from tests.api.problem import assert_problem

pytestmark = pytest.mark.anyio

UNKNOWN_ID = 2**62


def store_case(runtime: Runtime, partner_id: str, po_number: str = "PO-1") -> int:
    with session_scope(runtime.sessionmaker) as session:
        return builders.make_exception(session, partner_id, po_number).id


async def test_lists_exceptions_with_filters(
    client: httpx.AsyncClient, runtime: Runtime, partner_id: str
) -> None:
    case_id = store_case(runtime, partner_id, "PO-1")
    other = store_case(runtime, partner_id, "PO-2")

    everything = (await client.get("/v1/exceptions", params={"partner_id": partner_id})).json()
    assert [item["id"] for item in everything["items"]] == [case_id, other]
    filters = {
        "partner_id": partner_id,
        "type": "quantity_short",
        "po_number": "PO-1",
        "status": "open",
        "owner": "buyer",
    }
    filtered = (await client.get("/v1/exceptions", params=filters)).json()
    assert [item["id"] for item in filtered["items"]] == [case_id]
    item = filtered["items"][0]
    assert (item["partner_id"], item["line_number"], item["severity"]) == (partner_id, "1", "medium")
    assert (item["expected"], item["actual"]) == ("100 EA", "80 EA")
    assert item["resolved_at"] is None
    planner = (
        await client.get("/v1/exceptions", params={"partner_id": partner_id, "owner": "planner"})
    ).json()
    assert planner["items"] == []
    page = (await client.get("/v1/exceptions", params={"partner_id": partner_id, "limit": 1})).json()
    assert page["next_offset"] == 1


def store_at_risk(runtime: Runtime, partner_id: str, order_id: str, opened_at: dt.datetime) -> int:
    with session_scope(runtime.sessionmaker) as session:
        row, _ = repo.ExceptionRepository(session).open_or_touch(
            canonical.ExceptionCase(
                type=canonical.ExceptionType.PRODUCTION_AT_RISK,
                severity=Severity.CRITICAL,
                partner_id=partner_id,
                subject=f"production:{order_id}:item:PSU",
                message=f"{order_id} short of PSU",
                owner=OWNERS[canonical.ExceptionType.PRODUCTION_AT_RISK],
                impacted_production_orders=(order_id, "MO-Z"),
                opened_at=opened_at,
            ),
            at=opened_at,
        )
        return row.id


async def test_lists_exceptions_by_production_order_severity_and_age(
    client: httpx.AsyncClient, runtime: Runtime, partner_id: str
) -> None:
    short = store_case(runtime, partner_id, f"PO-{partner_id}")  # opened at AT, medium
    old = store_at_risk(runtime, partner_id, "MO-1", AT - dt.timedelta(hours=30))
    new = store_at_risk(runtime, partner_id, "MO-12", AT - dt.timedelta(hours=2))

    async def ids(**params: str) -> list[int]:
        answer = await client.get("/v1/exceptions", params={"partner_id": partner_id, **params})
        assert answer.status_code == 200, answer.text
        return [item["id"] for item in answer.json()["items"]]

    assert await ids(production_order="MO-1") == [old]  # an exact element, not a prefix of MO-12
    assert await ids(production_order="MO-Z") == [old, new]
    assert await ids(production_order="MO-9") == []
    assert await ids(severity="critical") == [old, new]
    assert await ids(severity="medium") == [short]
    assert await ids(min_age_hours="2") == [old, new]  # exactly two hours old counts
    assert await ids(min_age_hours="24") == [old]
    assert await ids(opened_before=(AT - dt.timedelta(hours=2)).isoformat()) == [old]
    assert await ids(min_age_hours="1", opened_before=(AT - dt.timedelta(hours=2)).isoformat()) == [old]


async def test_shows_an_exception_with_its_history(
    client: httpx.AsyncClient, runtime: Runtime, partner_id: str
) -> None:
    case_id = store_case(runtime, partner_id)

    body = (await client.get(f"/v1/exceptions/{case_id}")).json()

    assert body["id"] == case_id
    assert body["status"] == "open"
    assert [(h["actor"], h["action"]) for h in body["history"]] == [("system", "opened")]
    assert body["source_documents"] == []


async def test_shows_an_exception_with_its_source_document_and_a_link_to_the_raw_bytes(
    client: httpx.AsyncClient, runtime: Runtime, partner_id: str
) -> None:
    stored = builders.make_document_in(runtime, partner_id, "acme 855 short.edi")
    with session_scope(runtime.sessionmaker) as session:
        row = builders.make_exception(session, partner_id)
        row.document_id = stored.document_id
        case_id = row.id

    body = (await client.get(f"/v1/exceptions/{case_id}")).json()

    (source,) = body["source_documents"]
    assert source == {
        "id": stored.document_id,
        "doc_type": "855",
        "format": "x12",
        "partner_id": partner_id,
        "interchange_control": "000000042",
        "group_control": "42",
        "set_control": "0001",
        "status": "correlated",
        "receipt_id": stored.receipt_id,
        "received_at": AT.isoformat().replace("+00:00", "Z"),
        "raw_url": f"/v1/receipts/{stored.receipt_id}/raw",
    }
    raw = await client.get(source["raw_url"])
    assert raw.status_code == 200
    assert raw.content == builders.raw_bytes(partner_id, "acme 855 short.edi")


async def test_acknowledge_then_note_then_resolve(
    client: httpx.AsyncClient, runtime: Runtime, partner_id: str
) -> None:
    case_id = store_case(runtime, partner_id)

    acked = await client.post(f"/v1/exceptions/{case_id}/acknowledge", json={"actor": "buyer.anna"})
    assert acked.status_code == 200
    assert acked.json()["status"] == "acknowledged"

    note = await client.post(
        f"/v1/exceptions/{case_id}/notes", json={"actor": "buyer.anna", "note": "asked for 20 more"}
    )
    assert note.status_code == 201
    assert (note.json()["action"], note.json()["note"]) == ("noted", "asked for 20 more")

    resolved = await client.post(
        f"/v1/exceptions/{case_id}/resolve", json={"actor": "buyer.anna", "note": "supplier confirmed 100"}
    )
    assert resolved.status_code == 200
    body = resolved.json()
    assert body["status"] == "resolved"
    assert body["resolved_at"] == "2026-03-02T09:30:00Z"
    assert [(h["action"], h["note"]) for h in body["history"]] == [
        ("opened", "committed 80 EA of 100 EA"),
        ("acknowledged", None),
        ("noted", "asked for 20 more"),
        ("resolved", "supplier confirmed 100"),
    ]
    # Committed by the request: a fresh session sees it.
    with session_scope(runtime.sessionmaker) as session:
        assert len(repo.ExceptionRepository(session).history(case_id)) == 4


async def test_acting_on_a_resolved_exception_is_a_409_problem_and_writes_nothing(
    client: httpx.AsyncClient, runtime: Runtime, partner_id: str
) -> None:
    case_id = store_case(runtime, partner_id)
    assert (await client.post(f"/v1/exceptions/{case_id}/resolve", json={"actor": "a"})).status_code == 200

    for action in ("acknowledge", "resolve"):
        response = await client.post(
            f"/v1/exceptions/{case_id}/{action}", json={"actor": "a", "note": "again"}
        )
        assert_problem(response, 409, type_="/problems/conflict")
    history = (await client.get(f"/v1/exceptions/{case_id}")).json()["history"]
    assert [h["action"] for h in history] == ["opened", "resolved"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", ""),
        ("POST", "/acknowledge"),
        ("POST", "/resolve"),
        ("POST", "/notes"),
    ],
)
async def test_unknown_exception_is_a_404_problem(client: httpx.AsyncClient, method: str, path: str) -> None:
    body = {"actor": "a", "note": "n"}
    response = await client.request(method, f"/v1/exceptions/{UNKNOWN_ID}{path}", json=body)
    assert_problem(response, 404, type_="/problems/not-found")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/acknowledge", {}),
        ("/acknowledge", {"actor": ""}),
        ("/resolve", {"actor": "a\x00b"}),
        ("/resolve", {"actor": "a", "unexpected": 1}),
        ("/notes", {"actor": "a"}),
        ("/notes", {"actor": "a", "note": ""}),
    ],
)
async def test_invalid_action_body_is_a_422_problem(
    client: httpx.AsyncClient, runtime: Runtime, partner_id: str, path: str, body: dict[str, object]
) -> None:
    case_id = store_case(runtime, partner_id)
    response = await client.post(f"/v1/exceptions/{case_id}{path}", json=body)
    assert_problem(response, 422, type_="/problems/invalid-request")


@pytest.mark.parametrize(
    "url",
    [
        "/v1/exceptions/0",
        "/v1/exceptions/abc",
        f"/v1/exceptions/{2**63}",
        "/v1/exceptions?status=closed",
        "/v1/exceptions?type=weird",
        "/v1/exceptions?owner=nobody",
        "/v1/exceptions?limit=0",
        "/v1/exceptions?severity=urgent",
        "/v1/exceptions?min_age_hours=-1",
        "/v1/exceptions?opened_before=2026-03-02T09:30:00",  # no offset: ambiguous
    ],
)
async def test_invalid_exception_parameters_are_a_422_problem(client: httpx.AsyncClient, url: str) -> None:
    assert_problem(await client.get(url), 422, type_="/problems/invalid-request")
