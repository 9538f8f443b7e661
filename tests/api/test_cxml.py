"""`POST /cxml` on the real app and database (SQLite and PostgreSQL): the partner resolved from its
credentials, the SharedSecret checked, a cXML Response with the right Status, and the bytes stored
whatever happened. Payload ids are unique per test (PostgreSQL keeps rows between tests)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from gateway.formats.cxml.model import read_envelope
from gateway.formats.cxml.parser import parse
from gateway.pipeline.runtime import Runtime
from gateway.store import models as db
from gateway.store.session import session_scope
from tests.db_fixtures import unique_id

pytestmark = pytest.mark.anyio

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "cxml" / "dunmore-packaging"
SECRET = b"<SharedSecret>dunmore-demo-shared-secret</SharedSecret>"


def confirmation(payload_id: str | None = None) -> bytes:
    data = (SAMPLES / "confirmation_4500004001.xml").read_bytes()
    return data.replace(b"20250305.0930.c1@dunmore.example", (payload_id or unique_id("p")).encode())


def status_of(response: httpx.Response) -> tuple[str, str, str]:
    envelope, issues = read_envelope(parse(response.content))
    assert issues == ()
    assert envelope.status is not None
    return envelope.status.code, envelope.status.text, envelope.status.message


def receipt(rt: Runtime, response: httpx.Response) -> db.Receipt:
    with session_scope(rt.sessionmaker) as session:
        row = session.get(db.Receipt, response.headers["x-receipt-id"])
        assert row is not None
        session.expunge(row)
        return row


def documents(rt: Runtime, receipt_id: str) -> list[tuple[str, str]]:
    with session_scope(rt.sessionmaker) as session:
        rows = session.scalars(select(db.Document).where(db.Document.receipt_id == receipt_id)).all()
        return [(d.doc_type, str(d.status)) for d in rows]


async def post(client: httpx.AsyncClient, body: bytes) -> httpx.Response:
    return await client.post("/cxml", content=body, headers={"content-type": "text/xml"})


async def test_a_confirmation_with_the_right_secret_is_processed_and_answered_200(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    body = confirmation()
    response = await post(client, body)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    code, text, message = status_of(response)
    assert (code, text) == ("200", "OK")
    assert "processed" in message
    stored = receipt(runtime, response)
    assert stored.raw == body
    assert stored.channel == "cxml"
    assert stored.partner_id == "dunmore-packaging"
    assert str(stored.status) == "processed"
    assert documents(runtime, stored.id) == [("ConfirmationRequest", "correlated")]


async def test_the_same_payload_id_again_answers_200_and_adds_nothing(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    payload_id = unique_id("dup")
    first = await post(client, confirmation(payload_id))
    again = await post(client, confirmation(payload_id) + b"\n")  # other bytes, same payloadID
    assert status_of(first)[0] == status_of(again)[0] == "200"
    assert documents(runtime, receipt(runtime, first).id) == [("ConfirmationRequest", "correlated")]
    assert documents(runtime, receipt(runtime, again).id) == []
    with session_scope(runtime.sessionmaker) as session:
        statuses = session.scalars(
            select(db.Interchange.status).where(db.Interchange.control_number == payload_id)
        ).all()
    assert sorted(map(str, statuses)) == ["accepted", "duplicate"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            (SECRET, b"<SharedSecret>guess</SharedSecret>"),
            "SharedSecret for dunmore-packaging does not match",
        ),
        ((SECRET, b""), "SharedSecret for dunmore-packaging does not match"),
        ((b"081466849", b"000000000"), "no partner has the credential DUNS:000000000"),
    ],
)
async def test_bad_credentials_answer_401_and_keep_the_bytes(
    client: httpx.AsyncClient, runtime: Runtime, change: tuple[bytes, bytes], reason: str
) -> None:
    body = confirmation().replace(*change)
    response = await post(client, body)
    assert response.status_code == 200
    assert status_of(response)[:2] == ("401", "Unauthorized")
    stored = receipt(runtime, response)
    assert stored.raw == body
    assert str(stored.status) == "failed"
    assert stored.error is not None
    assert reason in stored.error
    assert documents(runtime, stored.id) == []


async def test_hostile_xml_answers_406_and_is_stored_failed(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    body = b'<?xml version="1.0"?><!DOCTYPE cXML [<!ENTITY x SYSTEM "file:///etc/passwd">]><cXML>&x;</cXML>'
    response = await post(client, body)
    code, _, message = status_of(response)
    assert code == "406"
    assert "internal subset" in message
    stored = receipt(runtime, response)
    assert str(stored.status) == "failed"
    assert "HostileXmlError" in (stored.error or "")


async def test_invalid_content_answers_400_with_the_issue(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    body = confirmation().replace(b'<OrderReference orderID="4500004001"/>', b"")
    response = await post(client, body)
    code, text, message = status_of(response)
    assert (code, text) == ("400", "Bad Request")
    assert "po_number is required" in message
    assert "/cXML/Request/ConfirmationRequest" in message
    assert documents(runtime, receipt(runtime, response).id) == [("ConfirmationRequest", "failed")]


async def test_a_request_without_a_map_answers_450(client: httpx.AsyncClient, runtime: Runtime) -> None:
    body = confirmation().replace(b"ConfirmationRequest>", b"StatusUpdateRequest>")
    body = body.replace(b"<ConfirmationRequest>", b"<StatusUpdateRequest>")
    response = await post(client, body)
    assert status_of(response)[:2] == ("450", "Not Implemented")
    assert documents(runtime, receipt(runtime, response).id) == [("StatusUpdateRequest", "skipped")]


async def test_a_bare_response_is_not_a_request(client: httpx.AsyncClient, shared_dir: Path) -> None:
    body = (
        shared_dir / "corpus" / "cxml" / "response_status-400_no-xml-declaration_officeluv.xml"
    ).read_bytes()
    response = await post(client, body)
    assert status_of(response)[0] == "400"
