from __future__ import annotations

import httpx
import pytest

from gateway.pipeline.runtime import Runtime
from gateway.store.session import session_scope
from tests.api import builders
from tests.api.problem import assert_problem
from tests.api.supplier_builders import commitment, import_order
from tests.api.tenants import Tenants

pytestmark = pytest.mark.anyio


def store_document(runtime: Runtime, partner_id: str, **kwargs: str) -> builders.StoredDocument:
    with session_scope(runtime.sessionmaker) as session:
        return builders.make_document(session, partner_id, **kwargs)


async def test_lists_a_partners_documents_with_filters_and_pages(
    client: httpx.AsyncClient, runtime: Runtime, partner_id: str
) -> None:
    first = store_document(runtime, partner_id)
    second = store_document(runtime, partner_id, file_name="second.edi")

    page = (await client.get("/v1/documents", params={"partner_id": partner_id, "limit": 1})).json()
    assert page["limit"] == 1
    assert page["next_offset"] == 1
    assert len(page["items"]) == 1
    rest = (await client.get("/v1/documents", params={"partner_id": partner_id, "offset": 1})).json()
    assert rest["next_offset"] is None
    ids = {page["items"][0]["id"], rest["items"][0]["id"]}
    assert ids == {first.document_id, second.document_id}

    filtered = await client.get(
        "/v1/documents", params={"partner_id": partner_id, "status": "correlated", "doc_type": "855"}
    )
    assert filtered.status_code == 200
    assert len(filtered.json()["items"]) == 2
    summary = filtered.json()["items"][0]
    assert summary["partner_id"] == partner_id
    assert summary["doc_type"] == "855"
    assert summary["version"] == "004010"
    assert summary["direction"] == "inbound"
    none = await client.get("/v1/documents", params={"partner_id": partner_id, "status": "failed"})
    assert none.json()["items"] == []


async def test_shows_one_document_with_controls_issues_trace_and_events(
    client: httpx.AsyncClient, runtime: Runtime, partner_id: str
) -> None:
    stored = store_document(runtime, partner_id)

    response = await client.get(f"/v1/documents/{stored.document_id}")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == stored.document_id
    assert body["status"] == "correlated"
    assert body["partner_id"] == partner_id
    assert (body["doc_type"], body["version"]) == ("855", "004010")
    assert (body["interchange_control"], body["group_control"], body["set_control"]) == (
        "000000042",
        "42",
        "0001",
    )
    assert body["receipt_id"] == stored.receipt_id
    assert body["issues"] == [
        {
            "code": "unrecognized_segment",
            "severity": "warning",
            "level": "segment",
            "location": {
                "file": None,
                "interchange": None,
                "group": None,
                "transaction": "0001",
                "segment_position": 4,
                "segment_tag": "ZZZ",
                "element": None,
                "component": None,
                "offset": None,
                "path": None,
            },
            "message": "segment ZZZ is not in the 855",
            "bad_value": None,
        }
    ]
    assert [(step["stage"], step["status"]) for step in body["steps"]] == [("parsed", "ok"), ("mapped", "ok")]
    assert body["steps"][0]["issues"][0]["code"] == "unrecognized_segment"
    [event] = body["events"]
    assert event["cursor"] == stored.event_cursor
    assert event["type"] == "commitment.recorded"
    assert event["data"]["type"] == "commitment"
    assert event["data"]["quantity"] == "80"


async def test_unknown_document_is_a_404_problem(client: httpx.AsyncClient) -> None:
    body = assert_problem(
        await client.get("/v1/documents/no-such-document"), 404, type_="/problems/not-found"
    )
    assert "no-such-document" in body["detail"]


@pytest.mark.parametrize(
    "params",
    [{"status": "lost"}, {"limit": "0"}, {"limit": "501"}, {"offset": "-1"}, {"partner_id": ""}],
)
async def test_invalid_document_filters_are_a_422_problem(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    body = assert_problem(
        await client.get("/v1/documents", params=params), 422, type_="/problems/invalid-request"
    )
    assert body["errors"][0]["loc"][0] == "query"


async def test_receipt_raw_answers_the_bytes_as_received_with_the_file_name(
    client: httpx.AsyncClient, runtime: Runtime, partner_id: str
) -> None:
    stored = store_document(runtime, partner_id, file_name="inbox/acme 855 ü.edi")

    response = await client.get(f"/v1/receipts/{stored.receipt_id}/raw")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.content == builders.raw_bytes(partner_id, "inbox/acme 855 ü.edi")
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"acme 855 _.edi\"; filename*=UTF-8''acme%20855%20%C3%BC.edi"
    )


async def test_unknown_receipt_is_a_404_problem(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/v1/receipts/no-such-receipt/raw"), 404, type_="/problems/not-found")


async def test_a_control_character_in_an_id_is_a_422_problem(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/v1/receipts/a%00b/raw"), 422)


async def test_a_documents_trace_reaches_its_exceptions_and_a_receipt_its_documents(
    client: httpx.AsyncClient, supplier_a: httpx.AsyncClient, tenants: Tenants
) -> None:
    po = await import_order(client, tenants.a)
    posted = (await supplier_a.post("/v1/supplier/commitments", json=commitment(po, quantity="80"))).json()
    document_id = posted["documents"][0]["document_id"]

    document = (await client.get(f"/v1/documents/{document_id}")).json()
    receipt = (await client.get(f"/v1/receipts/{posted['receipt_id']}")).json()

    assert [(e["type"], e["status"]) for e in document["exceptions"]] == [("quantity_short", "open")]
    assert [d["id"] for d in receipt["documents"]] == [document_id]
    assert (receipt["channel"], receipt["status"], receipt["partner_id"]) == ("api", "processed", tenants.a)
    assert [i["format"] for i in receipt["interchanges"]] == ["api"]
    assert [s["stage"] for s in receipt["steps"]] == ["received", "mapped", "correlated"]
    assert receipt["raw_url"] == f"/v1/receipts/{posted['receipt_id']}/raw"
