"""`POST /v1/supplier/commitments` and `/shipments`: the same receipt, version, duplicate and
correlation rules as EDI; the token's partner decides the partner."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from gateway.pipeline import recovery
from gateway.pipeline.runtime import Runtime
from gateway.store import models as db
from gateway.store import repositories as repo
from gateway.store.session import session_scope
from tests.api.auth import Tokens
from tests.api.problem import assert_problem
from tests.api.supplier_builders import commitment, import_order, shipment
from tests.api.tenants import Tenants

pytestmark = pytest.mark.anyio


async def events_of(client: httpx.AsyncClient, document_id: str) -> list[str]:
    body = (await client.get(f"/v1/documents/{document_id}")).json()
    return [event["type"] for event in body["events"]]


async def test_a_commitment_is_stored_raw_correlated_and_raises_the_exception_it_should(
    client: httpx.AsyncClient, supplier_a: httpx.AsyncClient, tenants: Tenants, runtime: Runtime
) -> None:
    po = await import_order(client, tenants.a)
    body = commitment(po, quantity="80")  # 80 of 100: short

    response = await supplier_a.post("/v1/supplier/commitments", json=body)

    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["status"] == "processed"
    (document,) = answer["documents"]
    assert (document["doc_type"], document["status"], document["events"]) == ("commitment", "correlated", 1)
    assert response.headers["location"] == f"/v1/supplier/documents/{document['document_id']}"
    assert [(e["type"], e["po_number"], e["line_number"]) for e in answer["exceptions"]] == [
        ("quantity_short", po, "1")
    ]
    assert answer["acknowledgements"] == []
    raw = await client.get(f"/v1/receipts/{answer['receipt_id']}/raw")
    assert json.loads(raw.content) == body  # the body exactly as posted
    with session_scope(runtime.sessionmaker) as session:
        receipt = repo.ReceiptRepository(session).require(answer["receipt_id"])
        assert (receipt.channel, receipt.partner_id, receipt.status) == (
            "api",
            tenants.a,
            db.ReceiptStatus.PROCESSED,
        )
    line = (await supplier_a.get(f"/v1/supplier/purchase-orders/{po}")).json()["lines"][0]
    assert (line["ack_status"], line["committed_quantity"], line["committed_date"]) == (
        "accepted",
        "80.0000",
        "2026-03-20",
    )
    assert await events_of(client, document["document_id"]) == ["exception.opened", "commitment.recorded"]
    shown = (await supplier_a.get(f"/v1/supplier/documents/{document['document_id']}")).json()
    assert [e["type"] for e in shown["exceptions"]] == ["quantity_short"]
    assert (shown["format"], shown["status"]) == ("api", "correlated")


async def test_a_newer_commitment_resolves_the_case_and_an_older_one_is_stale(
    client: httpx.AsyncClient, supplier_a: httpx.AsyncClient, tenants: Tenants
) -> None:
    po = await import_order(client, tenants.a)
    short = await supplier_a.post("/v1/supplier/commitments", json=commitment(po, quantity="80"))
    case_id = short.json()["exceptions"][0]["id"]

    full = await supplier_a.post(
        "/v1/supplier/commitments", json=commitment(po, quantity="100", issued_at="2026-03-02T10:00:00Z")
    )
    late = await supplier_a.post(
        "/v1/supplier/commitments", json=commitment(po, quantity="60", issued_at="2026-03-01T10:00:00Z")
    )

    assert (full.status_code, late.status_code) == (201, 201)
    assert (await supplier_a.get(f"/v1/supplier/exceptions/{case_id}")).json()["status"] == "auto_resolved"
    line = (await supplier_a.get(f"/v1/supplier/purchase-orders/{po}")).json()["lines"][0]
    assert line["committed_quantity"] == "100.0000"  # newer wins; the late 60 changed nothing
    assert "commitment.stale" in await events_of(client, late.json()["documents"][0]["document_id"])


async def test_the_same_body_again_is_a_duplicate_that_changes_nothing(
    client: httpx.AsyncClient, supplier_a: httpx.AsyncClient, tenants: Tenants
) -> None:
    po = await import_order(client, tenants.a)
    first = await supplier_a.post("/v1/supplier/commitments", json=commitment(po, quantity="80"))
    cursor = (await client.get("/v1/events", params={"after": 0, "limit": 500})).json()["next_cursor"]

    again = await supplier_a.post("/v1/supplier/commitments", json=commitment(po, quantity="80"))

    assert again.status_code == 200, again.text
    body = again.json()
    assert (body["status"], body["duplicate_of"]) == ("duplicate", first.json()["receipt_id"])
    assert body["documents"] == []
    assert (await client.get("/v1/events", params={"after": cursor})).json()["items"] == []


async def test_the_same_bytes_from_another_partner_are_not_a_duplicate(
    client: httpx.AsyncClient, supplier_a: httpx.AsyncClient, supplier_b: httpx.AsyncClient, tenants: Tenants
) -> None:
    po = await import_order(client, tenants.a)
    await import_order(client, tenants.b, po_number=po)  # the same PO number at B
    raw = json.dumps(commitment(po)).encode()
    headers = {"content-type": "application/json"}

    a = await supplier_a.post("/v1/supplier/commitments", content=raw, headers=headers)
    b = await supplier_b.post("/v1/supplier/commitments", content=raw, headers=headers)

    assert (a.status_code, b.status_code) == (201, 201), b.text
    assert a.json()["documents"][0]["document_id"] != b.json()["documents"][0]["document_id"]
    assert (await supplier_b.get(f"/v1/supplier/purchase-orders/{po}")).json()["lines"][0][
        "ack_status"
    ] == "accepted"


async def test_a_body_naming_another_partners_po_is_404_and_stores_nothing(
    client: httpx.AsyncClient, supplier_a: httpx.AsyncClient, tenants: Tenants, runtime: Runtime
) -> None:
    theirs = await import_order(client, tenants.b)

    posted = await supplier_a.post("/v1/supplier/commitments", json=commitment(theirs))
    shipped = await supplier_a.post("/v1/supplier/shipments", json=shipment(theirs))

    assert_problem(posted, 404, type_="/problems/not-found")
    assert_problem(shipped, 404, type_="/problems/not-found")
    with session_scope(runtime.sessionmaker) as session:
        assert repo.ReceiptRepository(session).list(partner_id=tenants.a) == []
    line = (await client.get(f"/v1/purchase-orders/{theirs}", params={"partner_id": tenants.b})).json()[
        "lines"
    ][0]
    assert (line["ack_status"], line["shipped_quantity"]) == (None, "0.0000")


async def test_an_unknown_line_opens_an_exception_as_in_edi(
    client: httpx.AsyncClient, supplier_a: httpx.AsyncClient, tenants: Tenants
) -> None:
    po = await import_order(client, tenants.a)
    body = commitment(po)
    body["lines"][0]["line_number"] = "9"

    response = await supplier_a.post("/v1/supplier/commitments", json=body)

    assert response.status_code == 201
    assert [e["type"] for e in response.json()["exceptions"]] == ["unknown_line"]


async def test_a_split_schedule_is_kept_in_the_ledger(
    client: httpx.AsyncClient, supplier_a: httpx.AsyncClient, tenants: Tenants
) -> None:
    po = await import_order(client, tenants.a)
    body = commitment(po)
    body["lines"][0] = {
        "line_number": "1",
        "status": "accepted_with_changes",
        "unit": "EA",
        "schedule": [
            {"quantity": "60", "date": "2026-03-20"},
            {"quantity": "40", "date": "2026-03-27", "action": "reschedule"},
        ],
    }

    assert (await supplier_a.post("/v1/supplier/commitments", json=body)).status_code == 201

    line = (await supplier_a.get(f"/v1/supplier/purchase-orders/{po}")).json()["lines"][0]
    assert line["committed_quantity"] == "100.0000"
    assert [(Decimal(s["quantity"]), s["date"]) for s in line["committed_schedule"]] == [
        (Decimal(60), "2026-03-20"),
        (Decimal(40), "2026-03-27"),
    ]


async def test_a_shipment_counts_once_and_a_replacement_replaces_it(
    client: httpx.AsyncClient, supplier_a: httpx.AsyncClient, tenants: Tenants
) -> None:
    po = await import_order(client, tenants.a)
    await supplier_a.post("/v1/supplier/commitments", json=commitment(po))
    first = shipment(po, quantity="40")

    shipped = await supplier_a.post("/v1/supplier/shipments", json=first)
    replaced = await supplier_a.post(
        "/v1/supplier/shipments",
        json=first
        | {
            "purpose": "replace",
            "issued_at": "2026-03-02T11:00:00Z",
            "lines": [first["lines"][0] | {"quantity": "45"}],
        },
    )

    assert (shipped.status_code, replaced.status_code) == (201, 201), replaced.text
    line = (await supplier_a.get(f"/v1/supplier/purchase-orders/{po}")).json()["lines"][0]
    assert (line["shipped_quantity"], line["open_quantity"]) == ("45.0000", "55.0000")
    assert "shipment.replaced" in await events_of(client, replaced.json()["documents"][0]["document_id"])


async def test_a_shipment_without_a_commitment_raises_its_exception(
    client: httpx.AsyncClient, supplier_a: httpx.AsyncClient, tenants: Tenants
) -> None:
    po = await import_order(client, tenants.a)

    response = await supplier_a.post("/v1/supplier/shipments", json=shipment(po))

    assert [e["type"] for e in response.json()["exceptions"]] == ["shipment_without_commitment"]


@pytest.mark.parametrize(
    ("path", "change"),
    [
        ("/v1/supplier/commitments", {"lines": []}),
        ("/v1/supplier/commitments", {"issued_at": "2026-03-02T09:00:00"}),
        ("/v1/supplier/commitments", {"surprise": 1}),
        (
            "/v1/supplier/shipments",
            {"lines": [{"po_number": "X", "line_number": "1", "quantity": "-1", "unit": "EA"}]},
        ),
    ],
    ids=["no lines", "naive time", "unknown field", "negative quantity"],
)
async def test_an_invalid_body_is_a_422_problem_with_the_field_errors(
    client: httpx.AsyncClient,
    supplier_a: httpx.AsyncClient,
    tenants: Tenants,
    path: str,
    change: dict[str, Any],
) -> None:
    po = await import_order(client, tenants.a)
    base = commitment(po) if path.endswith("commitments") else shipment(po)

    body = assert_problem(
        await supplier_a.post(path, json=base | change), 422, type_="/problems/invalid-request"
    )

    assert body["errors"]


def receipt_row(runtime: Runtime, receipt_id: str) -> db.Receipt:
    with session_scope(runtime.sessionmaker) as session:
        row = repo.ReceiptRepository(session).require(receipt_id)
        session.expunge(row)
        return row


@pytest.mark.parametrize("path", ["/v1/supplier/commitments", "/v1/supplier/shipments"])
async def test_a_refused_body_is_kept_as_a_failed_receipt_the_answer_names(
    client: httpx.AsyncClient, supplier_a: httpx.AsyncClient, tenants: Tenants, runtime: Runtime, path: str
) -> None:
    po = await import_order(client, tenants.a)
    base = commitment(po) if path.endswith("commitments") else shipment(po)
    raw = json.dumps(base | {"unknown_field": 1}).encode()

    refused = assert_problem(
        await supplier_a.post(path, content=raw, headers={"content-type": "application/json"}),
        422,
        type_="/problems/invalid-request",
    )

    receipt = receipt_row(runtime, refused["receipt_id"])
    assert (receipt.channel, receipt.partner_id, receipt.status) == (
        "api",
        tenants.a,
        db.ReceiptStatus.FAILED,
    )
    assert receipt.raw == raw
    assert receipt.error is not None
    assert "unknown_field" in receipt.error
    assert (await client.get(f"/v1/receipts/{receipt.id}/raw")).content == raw
    # The same bytes again are refused again, each post on its own record (a failed receipt is never
    # what a later copy is the duplicate of: it may be read after a fix).
    again = assert_problem(
        await supplier_a.post(path, content=raw, headers={"content-type": "application/json"}), 422
    )
    assert again["receipt_id"] != receipt.id
    assert receipt_row(runtime, again["receipt_id"]).status is db.ReceiptStatus.FAILED


async def test_a_body_that_is_not_json_is_kept_too_but_only_for_a_caller_who_may_post_it(
    client: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    supplier_a: httpx.AsyncClient,
    tokens: Tokens,
    tenants: Tenants,
    runtime: Runtime,
) -> None:
    raw = b'{"po_number": "4500000001", "lines": [ truncated'
    json_headers = {"content-type": "application/json"}

    refused = await supplier_a.post("/v1/supplier/commitments", content=raw, headers=json_headers)

    assert refused.status_code in (400, 422), refused.text
    receipt = receipt_row(runtime, refused.json()["receipt_id"])
    assert (receipt.raw, receipt.status) == (raw, db.ReceiptStatus.FAILED)
    # No token, or a token without commitments:write: refused, and nothing is stored for them.
    anonymous_answer = await anonymous.post("/v1/supplier/commitments", content=raw, headers=json_headers)
    reader = await tokens.supplier(tenants.a, "orders:read")
    reader_answer = await anonymous.post(
        "/v1/supplier/commitments", content=raw, headers=json_headers | reader
    )
    for answer in (anonymous_answer, reader_answer):
        assert answer.status_code in (400, 401, 403, 422), answer.text
        assert "receipt_id" not in answer.json()


@contextlib.contextmanager
def documents_refused_for(runtime: Runtime, partner_id: str) -> Iterator[None]:
    """A real fault in the database: inserting a document of this partner fails (a trigger)."""
    name = f"refuse_{uuid.uuid4().hex[:12]}"
    with runtime.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql(
                f"CREATE TRIGGER {name} BEFORE INSERT ON document WHEN NEW.partner_id = '{partner_id}' "
                "BEGIN SELECT RAISE(ABORT, 'document refused by a trigger'); END"
            )
        else:
            conn.exec_driver_sql(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF NEW.partner_id = '{partner_id}' THEN RAISE EXCEPTION 'document refused by a trigger'; "
                "END IF; RETURN NEW; END $$"
            )
            conn.exec_driver_sql(
                f"CREATE TRIGGER {name} BEFORE INSERT ON document FOR EACH ROW EXECUTE FUNCTION {name}()"
            )
    try:
        yield
    finally:
        with runtime.engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql(f"DROP TRIGGER {name}")
            else:
                conn.exec_driver_sql(f"DROP TRIGGER {name} ON document")
                conn.exec_driver_sql(f"DROP FUNCTION {name}()")


async def test_a_post_whose_processing_fails_is_kept_answered_202_and_processed_by_the_retry(
    client: httpx.AsyncClient, supplier_a: httpx.AsyncClient, tenants: Tenants, runtime: Runtime
) -> None:
    po = await import_order(client, tenants.a)
    body = commitment(po, quantity="80")

    with documents_refused_for(runtime, tenants.a):
        response = await supplier_a.post("/v1/supplier/commitments", json=body)

    assert response.status_code == 202, response.text
    answer = response.json()
    assert answer["status"] == "received"
    assert "document refused by a trigger" in answer["detail"]
    assert answer["documents"] == []
    receipt = receipt_row(runtime, answer["receipt_id"])
    assert (receipt.status, receipt.attempts) == (db.ReceiptStatus.RECEIVED, 1)
    assert json.loads(receipt.raw) == body
    assert receipt.next_attempt_at is not None

    retried = recovery.process_with_retries(runtime, receipt.id)  # what the sweep's job runs

    assert retried.outcome is recovery.Outcome.DONE
    assert receipt_row(runtime, receipt.id).status is db.ReceiptStatus.PROCESSED
    line = (await supplier_a.get(f"/v1/supplier/purchase-orders/{po}")).json()["lines"][0]
    assert (line["ack_status"], line["committed_quantity"]) == ("accepted", "80.0000")


async def test_each_post_needs_its_own_scope(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, tokens: Tokens, tenants: Tenants
) -> None:
    po = await import_order(client, tenants.a)
    headers = await tokens.supplier(tenants.a, "orders:read")

    response = await anonymous.post("/v1/supplier/commitments", json=commitment(po), headers=headers)

    body = assert_problem(response, 403, type_="/problems/insufficient-scope")
    assert "commitments:write" in body["detail"]


async def test_the_same_body_posted_twice_at_once_is_stored_once_and_the_other_is_its_duplicate(
    client: httpx.AsyncClient, supplier_a: httpx.AsyncClient, tenants: Tenants
) -> None:
    po = await import_order(client, tenants.a)
    body = shipment(po, quantity="10")

    answers = await asyncio.gather(*(supplier_a.post("/v1/supplier/shipments", json=body) for _ in range(2)))

    assert sorted(a.status_code for a in answers) == [200, 201], [a.text for a in answers]
    assert sorted(a.json()["status"] for a in answers) == ["duplicate", "processed"]
    line = (await supplier_a.get(f"/v1/supplier/purchase-orders/{po}")).json()["lines"][0]
    assert line["shipped_quantity"] == "10.0000"
