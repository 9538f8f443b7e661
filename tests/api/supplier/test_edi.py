"""`POST /v1/edi` and `POST /v1/supplier/edi`: raw X12 from a partner's client, processed at once;
the answer has the documents and the 997 written for them."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from gateway.kit import ids
from gateway.pipeline.runtime import Runtime
from gateway.store import repositories as repo
from gateway.store.session import session_scope
from tests.api.auth import Tokens
from tests.api.problem import assert_problem
from tests.api.supplier_builders import import_order, x12_855
from tests.api.tenants import Tenants

REPO = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.anyio

X12 = {"content-type": "application/edi-x12"}


@pytest.mark.parametrize("path", ["/v1/edi", "/v1/supplier/edi"])
async def test_an_855_is_read_correlated_and_acknowledged_with_a_997(
    client: httpx.AsyncClient, supplier_a: httpx.AsyncClient, tenants: Tenants, path: str
) -> None:
    po = await import_order(client, tenants.a)

    response = await supplier_a.post(
        path, content=x12_855(tenants.a_isa, po, quantity="90"), headers=X12, params={"file_name": "a.edi"}
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "processed"
    (document,) = body["documents"]
    assert (document["doc_type"], document["status"], document["control_number"]) == (
        "855",
        "correlated",
        "0001",
    )
    (ack,) = body["acknowledgements"]
    assert ack["kind"] == "997"
    assert "AK1*PR*501" in ack["content"]
    assert "AK9*A*1*1*1" in ack["content"]
    assert [e["type"] for e in body["exceptions"]] == ["quantity_short"]
    line = (await supplier_a.get(f"/v1/supplier/purchase-orders/{po}")).json()["lines"][0]
    assert line["committed_quantity"] == "90.0000"
    shown = (await client.get(f"/v1/receipts/{body['receipt_id']}/raw")).content
    assert shown == x12_855(tenants.a_isa, po, quantity="90")


async def test_the_same_interchange_again_is_a_duplicate(
    client: httpx.AsyncClient, supplier_a: httpx.AsyncClient, tenants: Tenants
) -> None:
    po = await import_order(client, tenants.a)
    raw = x12_855(tenants.a_isa, po)
    first = await supplier_a.post("/v1/edi", content=raw, headers=X12)

    again = await supplier_a.post("/v1/edi", content=raw, headers=X12)

    assert again.status_code == 200, again.text
    assert (again.json()["status"], again.json()["duplicate_of"]) == ("duplicate", first.json()["receipt_id"])


async def test_an_interchange_naming_another_partner_as_sender_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, supplier_a: httpx.AsyncClient, tenants: Tenants
) -> None:
    theirs = await import_order(client, tenants.b)

    response = await supplier_a.post("/v1/edi", content=x12_855(tenants.b_isa, theirs), headers=X12)

    body = assert_problem(response, 422, type_="/problems/sender-mismatch")
    assert tenants.b_isa in body["detail"]
    line = (await client.get(f"/v1/purchase-orders/{theirs}", params={"partner_id": tenants.b})).json()[
        "lines"
    ][0]
    assert line["ack_status"] is None


@pytest.mark.parametrize("sample", ["ORDRSP_RW0000102.edi", "DESADV_RW0000103.edi"])
async def test_an_edifact_interchange_naming_another_partner_is_refused_and_nothing_is_stored(
    supplier_a: httpx.AsyncClient, runtime: Runtime, sample: str
) -> None:
    raw = (REPO / "samples" / "edifact" / "rheinwerk-bearings" / sample).read_bytes()

    response = await supplier_a.post("/v1/edi", content=raw, headers={"content-type": "application/edifact"})

    body = assert_problem(response, 422, type_="/problems/sender-mismatch")
    assert "names 14:4012345000016 as its sender" in body["detail"]
    with session_scope(runtime.sessionmaker) as session:
        assert repo.ReceiptRepository(session).find_by_sha256(ids.sha256_hex(raw)) is None


async def test_an_855_for_another_partners_po_under_ones_own_identity_is_an_unknown_po(
    client: httpx.AsyncClient, supplier_a: httpx.AsyncClient, tenants: Tenants
) -> None:
    theirs = await import_order(client, tenants.b)

    response = await supplier_a.post("/v1/edi", content=x12_855(tenants.a_isa, theirs), headers=X12)

    assert response.status_code == 201
    assert [e["type"] for e in response.json()["exceptions"]] == ["unknown_po"]
    line = (await client.get(f"/v1/purchase-orders/{theirs}", params={"partner_id": tenants.b})).json()[
        "lines"
    ][0]
    assert line["ack_status"] is None


async def test_unreadable_bytes_are_kept_and_answered_with_a_422_naming_the_receipt(
    client: httpx.AsyncClient, supplier_a: httpx.AsyncClient
) -> None:
    response = await supplier_a.post("/v1/edi", content=b"ISA*00*broken", headers=X12)

    body = assert_problem(response, 422, type_="/problems/unreadable-document")
    raw = await client.get(f"/v1/receipts/{body['receipt_id']}/raw")
    assert raw.content == b"ISA*00*broken"
    assert [e["type"] for e in body["exceptions"]] == ["document_rejected"]


async def test_an_empty_body_is_422_and_edi_needs_its_scope(
    supplier_a: httpx.AsyncClient, anonymous: httpx.AsyncClient, tokens: Tokens, tenants: Tenants
) -> None:
    assert_problem(
        await supplier_a.post("/v1/edi", content=b"  \n", headers=X12), 422, type_="/problems/empty-body"
    )
    headers = await tokens.supplier(tenants.a, "orders:read")
    assert_problem(await anonymous.post("/v1/edi", content=b"ISA", headers=headers), 403)


@pytest.mark.parametrize(
    ("body", "where"),
    [(b'<?xml version="1.0"?><cXML/>', "/cxml"), (b'{"po_number": "1"}', "JSON")],
    ids=["cxml", "json"],
)
async def test_cxml_or_json_posted_as_edi_is_415_and_stores_nothing(
    supplier_a: httpx.AsyncClient, runtime: Runtime, tenants: Tenants, body: bytes, where: str
) -> None:
    response = await supplier_a.post(
        "/v1/edi", content=body, headers={"content-type": "application/octet-stream"}
    )

    problem = assert_problem(response, 415, type_="/problems/not-edi")
    assert where in problem["detail"]
    with session_scope(runtime.sessionmaker) as session:
        assert repo.ReceiptRepository(session).list(partner_id=tenants.a) == []
