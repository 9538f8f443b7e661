"""`POST /v1/webhooks/{portal}` on the real app and database (SQLite and PostgreSQL): signed
SupplyHub events of the sample partner are processed once, repeats change nothing, refusals answer
problem+json and keep the bytes. Webhook ids are unique per test (PostgreSQL keeps rows)."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from gateway.channels.webhook_out import sign
from gateway.pipeline.runtime import Runtime
from gateway.store import models as db
from gateway.store.session import session_scope
from tests.api.builders import AT
from tests.api.problem import assert_problem
from tests.db_fixtures import unique_id

pytestmark = pytest.mark.anyio

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples" / "portal" / "elmfield-textiles"
KEY = base64.b64decode((REPO / "samples" / "secrets" / "elmfield-textiles.whsec").read_text().strip()[6:])


def event(name: str = "01_order_confirmed.json") -> bytes:
    return (SAMPLES / name).read_bytes()


def signed(body: bytes, message_id: str, *, key: bytes = KEY, at: dt.datetime = AT) -> dict[str, str]:
    stamp = int(at.timestamp())
    rotated_out = f"v1,{base64.b64encode(b'x' * 32).decode()}"  # a signature by a key nobody has any more
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": f"{rotated_out} {sign(key, message_id, stamp, body)}",
    }


def receipts(rt: Runtime, portal_file: str) -> list[db.Receipt]:
    with session_scope(rt.sessionmaker) as session:
        rows = session.scalars(select(db.Receipt).where(db.Receipt.file_name == portal_file)).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def event_count(rt: Runtime, receipt_id: str) -> int:
    with session_scope(rt.sessionmaker) as session:
        docs = select(db.Document.id).where(db.Document.receipt_id == receipt_id)
        return int(
            session.scalar(
                select(func.count()).select_from(db.OutboxEvent).where(db.OutboxEvent.document_id.in_(docs))
            )
            or 0
        )


async def test_a_signed_event_is_processed_once_and_a_repeat_changes_nothing(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    message_id = unique_id("msg")
    body = event()
    first = await client.post("/v1/webhooks/supplyhub", content=body, headers=signed(body, message_id))
    assert first.status_code == 200, first.text
    answer = first.json()
    assert answer["status"] == "processed"
    assert answer["partner_id"] == "elmfield-textiles"
    assert [(d["doc_type"], d["status"]) for d in answer["documents"]] == [("confirmation", "correlated")]
    events = event_count(runtime, answer["receipt_id"])
    assert events >= 3  # a commitment per line (and the unknown-PO cases: no PO in this database)

    again = await client.post("/v1/webhooks/supplyhub", content=body, headers=signed(body, message_id))
    assert again.status_code == 200
    repeat = again.json()
    assert repeat["status"] == "duplicate"
    assert repeat["duplicate_of"] == answer["receipt_id"]
    assert repeat["documents"] == []
    stored = receipts(runtime, f"supplyhub/{message_id}")
    assert sorted(str(r.status) for r in stored) == ["duplicate", "processed"]
    assert all(r.raw == body for r in stored)
    assert event_count(runtime, repeat["receipt_id"]) == 0


async def test_a_wrong_signature_is_401_and_the_bytes_are_kept(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    message_id = unique_id("msg")
    body = event()
    response = await client.post(
        "/v1/webhooks/supplyhub", content=body, headers=signed(body, message_id, key=b"not-the-key-0123456")
    )
    assert_problem(response, 401, type_="/problems/invalid-webhook-signature")
    (stored,) = receipts(runtime, f"supplyhub/{message_id}")
    assert stored.raw == body
    assert str(stored.status) == "failed"
    assert "SignatureError" in (stored.error or "")


async def test_a_stale_timestamp_is_401(client: httpx.AsyncClient) -> None:
    body = event()
    old = AT - dt.timedelta(minutes=6)
    response = await client.post(
        "/v1/webhooks/supplyhub", content=body, headers=signed(body, unique_id("m"), at=old)
    )
    assert_problem(response, 401, type_="/problems/invalid-webhook-signature")


async def test_missing_headers_are_401(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/webhooks/supplyhub", content=event(), headers={"content-type": "application/json"}
    )
    assert_problem(response, 401, type_="/problems/invalid-webhook-signature")


async def test_an_unknown_portal_is_404(client: httpx.AsyncClient) -> None:
    body = event()
    response = await client.post(
        "/v1/webhooks/nobodys-portal", content=body, headers=signed(body, unique_id("m"))
    )
    assert_problem(response, 404, type_="/problems/not-found")


async def test_an_account_no_partner_has_is_422(client: httpx.AsyncClient) -> None:
    body = event().replace(b'"ELM-2207"', b'"ACC-UNKNOWN"')
    response = await client.post("/v1/webhooks/supplyhub", content=body, headers=signed(body, unique_id("m")))
    assert_problem(response, 422, type_="/problems/unknown-portal-account")


async def test_a_signed_body_that_is_not_json_is_422(client: httpx.AsyncClient) -> None:
    body = b"{not json"
    response = await client.post("/v1/webhooks/supplyhub", content=body, headers=signed(body, unique_id("m")))
    assert_problem(response, 422, type_="/problems/unreadable-document")
