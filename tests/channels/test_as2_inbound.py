"""`POST /as2` over a real socket (uvicorn on loopback), the partner's side built with pyas2lib and
posting with httpx, on SQLite and PostgreSQL: MDNs sync and async, failures with their disposition
modifiers, duplicates, and a resend after a failure."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from gateway.app import create_app
from gateway.kit.clock import FixedClock
from gateway.pipeline import as2_outbound
from gateway.pipeline.runtime import Runtime, build_runtime
from gateway.settings import AS2Identity
from gateway.store import models as db
from gateway.store.session import session_scope
from tests.channels import as2_support as s
from tests.channels.certs import cached_key_pair
from tests.pipeline.support import NOW, NewDatabase, settings_for


@dataclass
class Gateway:
    rt: Runtime
    url: str  # POST /as2 here


@pytest.fixture
def gateway(fresh_database: NewDatabase, tmp_path: Path) -> Iterator[Gateway]:
    rt = s.as2_runtime(tmp_path, fresh_database())
    try:
        with s.serve(create_app(runtime=rt)) as base:
            yield Gateway(rt, f"{base}/as2")
    finally:
        rt.close()


@pytest.fixture
def lenient(fresh_database: NewDatabase, tmp_path: Path) -> Iterator[Gateway]:
    """The gateway with the partner allowed to send unencrypted (signed) messages, so that a test
    can alter the signed content on the way."""
    rt = s.as2_runtime(tmp_path, fresh_database(), require_encrypted=False)
    try:
        with s.serve(create_app(runtime=rt)) as base:
            yield Gateway(rt, f"{base}/as2")
    finally:
        rt.close()


def as2_rows(rt: Runtime, direction: db.Direction = db.Direction.INBOUND) -> list[db.AS2Message]:
    """The AS2 messages received (by default) or sent: each 855 received sends a 997 back by AS2."""
    query = select(db.AS2Message).where(db.AS2Message.direction == direction)
    with session_scope(rt.sessionmaker) as session:
        return list(session.scalars(query.order_by(db.AS2Message.created_at, db.AS2Message.id)))


def mdn_rows(rt: Runtime) -> list[db.AS2Mdn]:
    """Our MDNs (for what we received)."""
    query = select(db.AS2Mdn).where(db.AS2Mdn.direction == db.Direction.OUTBOUND)
    with session_scope(rt.sessionmaker) as session:
        return list(session.scalars(query.order_by(db.AS2Mdn.created_at, db.AS2Mdn.id)))


def receipts(rt: Runtime) -> list[db.Receipt]:
    with session_scope(rt.sessionmaker) as session:
        return list(session.scalars(select(db.Receipt)))


@pytest.mark.parametrize("compress", [False, True], ids=["signed+encrypted", "signed+encrypted+compressed"])
def test_a_signed_encrypted_message_is_stored_processed_and_answered_with_a_signed_mdn(
    gateway: Gateway, compress: bool
) -> None:
    message = s.build(s.SAMPLE_855, s.partner_org(), s.gateway_as_partner(compress=compress))

    response = s.post(gateway.url, message)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("multipart/signed")
    mdn = s.response_mime(response)
    assert s.read_mdn(mdn, message) == ("processed", None)  # the partner verifies signature and MIC
    (row,) = as2_rows(gateway.rt)
    assert row.status is db.AS2Status.PROCESSED
    assert (row.as2_from, row.as2_to, row.partner_id) == (s.PARTNER_AS2, s.OUR_AS2, s.PARTNER)
    assert row.message_id == message.message_id
    assert (row.signed, row.encrypted, row.compressed) == (True, True, compress)
    assert row.mic == message.mic.decode()
    assert row.raw is not None
    assert message.content in row.raw  # the transmission as it came, kept
    (kept,) = mdn_rows(gateway.rt)
    assert kept.disposition == "processed"
    assert kept.delivery is db.MdnDelivery.SYNC
    assert kept.signed
    assert kept.mic == row.mic
    assert kept.raw.endswith(response.content)
    (receipt,) = receipts(gateway.rt)
    assert receipt.channel == "as2"
    # pyas2lib writes text payloads (application/edi-x12) with CRLF line ends, as MIME does
    assert receipt.raw.replace(b"\r\n", b"\n") == s.SAMPLE_855
    assert receipt.id == row.receipt_id
    assert receipt.status is db.ReceiptStatus.PROCESSED
    assert receipt.file_name == "855_000007002.edi"
    with session_scope(gateway.rt.sessionmaker) as session:
        (doc,) = session.scalars(select(db.Document).where(db.Document.receipt_id == receipt.id)).all()
        assert (doc.partner_id, doc.doc_type) == (s.PARTNER, "855")


def test_an_unsigned_mdn_is_answered_when_no_signature_is_asked(gateway: Gateway) -> None:
    message = s.build(s.SAMPLE_855, s.partner_org(), s.gateway_as_partner(signed_mdn=False))

    response = s.post(gateway.url, message)

    assert response.headers["content-type"].startswith("multipart/report")
    assert s.disposition(s.response_mime(response)) == "automatic-action/MDN-sent-automatically; processed"


def test_a_tampered_signature_gets_an_authentication_failed_mdn_and_the_bytes_are_kept(
    lenient: Gateway,
) -> None:
    gateway = lenient
    message = s.build(s.SAMPLE_855, s.partner_org(), s.gateway_as_partner(encrypt=False))
    tampered = message.content.replace(b"BAK*00*AC*4500001004", b"BAK*00*AC*4500009999")
    assert tampered != message.content

    response = s.post(gateway.url, message, body=tampered)

    assert response.status_code == 200
    assert "processed/Error: authentication-failed" in s.disposition(s.response_mime(response))
    assert s.read_mdn(s.response_mime(response), message)[0] == "processed/Error"
    (row,) = as2_rows(gateway.rt)
    assert row.status is db.AS2Status.FAILED
    assert row.disposition == "processed/Error: authentication-failed"
    assert row.raw is not None
    assert tampered in row.raw
    assert row.dedupe_key is None
    assert receipts(gateway.rt) == []  # nothing handed on


def test_a_payload_naming_another_partner_as_sender_gets_authentication_failed(gateway: Gateway) -> None:
    """Signed by Fjord Metalworks, addressed from Acme's ISA id: refused, kept, not handed on."""
    as_acme = s.SAMPLE_855.replace(b"ZZ*FJORDMETAL     ", b"ZZ*ACMEFAST       ")
    assert as_acme != s.SAMPLE_855
    message = s.build(as_acme, s.partner_org(), s.gateway_as_partner())

    response = s.post(gateway.url, message)

    assert "processed/Error: authentication-failed" in s.disposition(s.response_mime(response))
    (row,) = as2_rows(gateway.rt)
    assert row.status is db.AS2Status.FAILED
    assert row.error is not None
    assert "names ZZ:ACMEFAST as its sender" in row.error
    assert row.dedupe_key is None
    assert receipts(gateway.rt) == []


def test_a_message_encrypted_to_another_certificate_gets_decryption_failed(gateway: Gateway) -> None:
    stranger = cached_key_pair("not-the-gateway")
    message = s.build(s.SAMPLE_855, s.partner_org(), s.gateway_as_partner(encrypt_to=stranger.certificate))

    response = s.post(gateway.url, message)

    assert "processed/Error: decryption-failed" in s.disposition(s.response_mime(response))
    assert as2_rows(gateway.rt)[0].status is db.AS2Status.FAILED


def test_an_unencrypted_message_from_a_partner_that_must_encrypt_is_insufficient_security(
    gateway: Gateway,
) -> None:
    message = s.build(s.SAMPLE_855, s.partner_org(), s.gateway_as_partner(encrypt=False))

    response = s.post(gateway.url, message)

    assert "processed/Error: insufficient-message-security" in s.disposition(s.response_mime(response))
    assert receipts(gateway.rt) == []


def test_an_unsigned_message_from_a_partner_that_must_sign_is_insufficient_security(gateway: Gateway) -> None:
    message = s.build(s.SAMPLE_855, s.partner_org(), s.gateway_as_partner(sign=False))

    response = s.post(gateway.url, message)

    assert "processed/Error: insufficient-message-security" in s.disposition(s.response_mime(response))
    assert receipts(gateway.rt) == []


def test_an_unknown_partner_gets_unknown_trading_partner(gateway: Gateway) -> None:
    org = s.pyas2.Organization(as2_name="SOMEONEELSE", sign_key=s.theirs().bundle, domain="else.test")
    message = s.build(s.SAMPLE_855, org, s.gateway_as_partner())

    response = s.post(gateway.url, message)

    assert response.status_code == 200
    assert "processed/Error: unknown-trading-partner" in s.disposition(s.response_mime(response))
    (row,) = as2_rows(gateway.rt)
    assert (row.status, row.partner_id, row.as2_from) == (db.AS2Status.FAILED, None, "SOMEONEELSE")
    assert row.raw is not None


def test_the_same_message_id_again_is_a_duplicate_and_is_not_handed_on_twice(gateway: Gateway) -> None:
    message = s.build(s.SAMPLE_855, s.partner_org(), s.gateway_as_partner())
    first = s.post(gateway.url, message)
    assert s.read_mdn(s.response_mime(first), message) == ("processed", None)

    again = s.post(gateway.url, message)  # the MDN got lost on the way: the partner resends

    assert again.status_code == 200
    assert "processed/Warning: duplicate-document" in s.disposition(s.response_mime(again))
    rows = {r.status: r for r in as2_rows(gateway.rt)}
    assert sorted(rows) == [db.AS2Status.DUPLICATE, db.AS2Status.PROCESSED]
    duplicate = rows[db.AS2Status.DUPLICATE]
    assert duplicate.error is not None
    assert "same content" in duplicate.error
    assert duplicate.dedupe_key is None
    assert len(receipts(gateway.rt)) == 1


def test_a_resend_of_a_message_that_failed_is_processed(lenient: Gateway) -> None:
    gateway = lenient
    message = s.build(
        s.SAMPLE_855, s.partner_org(), s.gateway_as_partner(encrypt=False), message_id="resend-1"
    )
    corrupted = message.content.replace(b"PO1*1*400", b"PO1*1*900")
    failed = s.post(gateway.url, message, body=corrupted)  # damaged on the way
    assert "authentication-failed" in s.disposition(s.response_mime(failed))

    resent = s.post(gateway.url, message)  # the same Message-ID, intact this time

    assert s.read_mdn(s.response_mime(resent), message) == ("processed", None)
    rows = as2_rows(gateway.rt)
    assert sorted(r.status for r in rows) == [db.AS2Status.FAILED, db.AS2Status.PROCESSED]
    assert {r.message_id for r in rows} == {message.message_id}
    (receipt,) = receipts(gateway.rt)
    assert receipt.raw.replace(b"\r\n", b"\n") == s.SAMPLE_855
    # and once processed, the same Message-ID again is a duplicate
    third = s.post(gateway.url, message)
    assert "duplicate-document" in s.disposition(s.response_mime(third))


def test_a_post_without_as2_headers_is_a_400_problem_and_its_bytes_are_kept(gateway: Gateway) -> None:
    response = httpx.post(
        gateway.url, content=b"ISA*00*hello", headers={"Content-Type": "application/edi-x12"}
    )

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/as2-invalid"
    (row,) = as2_rows(gateway.rt)
    assert row.status is db.AS2Status.FAILED
    assert row.raw is not None
    assert row.raw.endswith(b"ISA*00*hello")


def test_an_async_mdn_is_posted_to_the_receipt_delivery_option(gateway: Gateway) -> None:
    receiver = s.Receiver().start()
    try:
        message = s.build(
            s.SAMPLE_855, s.partner_org(mdn_url=receiver.url), s.gateway_as_partner(mdn_mode="ASYNC")
        )

        response = s.post(gateway.url, message)

        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        (got,) = receiver.received
        assert s.read_mdn(got.raw, message) == ("processed", None)
        (kept,) = mdn_rows(gateway.rt)
        assert (kept.mode, kept.delivery, kept.url) == ("async", db.MdnDelivery.DELIVERED, receiver.url)
        assert kept.attempts == 1
    finally:
        receiver.stop()


def test_an_async_mdn_that_cannot_be_delivered_is_retried_until_it_is(gateway: Gateway) -> None:
    sock = s.free_socket()  # a port that nothing answers on yet
    port = sock.getsockname()[1]
    sock.close()
    url = f"http://127.0.0.1:{port}/as2"
    message = s.build(s.SAMPLE_855, s.partner_org(mdn_url=url), s.gateway_as_partner(mdn_mode="ASYNC"))

    assert s.post(gateway.url, message).status_code == 200

    (pending,) = mdn_rows(gateway.rt)
    assert (pending.delivery, pending.attempts) == (db.MdnDelivery.PENDING, 1)
    assert pending.next_attempt_at is not None
    assert [a for a in as2_outbound.retry_due(gateway.rt) if a.kind == "mdn"] == []  # not due yet
    receiver = s.Receiver().start(port)
    try:
        clock = gateway.rt.clock
        assert isinstance(clock, FixedClock)
        clock.advance(pending.next_attempt_at - clock.now())
        (attempt,) = [a for a in as2_outbound.retry_due(gateway.rt) if a.kind == "mdn"]
        assert (attempt.kind, attempt.outcome) == ("mdn", "delivered")
        (got,) = receiver.received
        assert s.read_mdn(got.raw, message) == ("processed", None)
        assert mdn_rows(gateway.rt)[0].delivery is db.MdnDelivery.DELIVERED
    finally:
        receiver.stop()


def test_without_our_key_the_answer_is_a_503_problem(fresh_database: NewDatabase, tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "data", fresh_database())
    settings.partners_dir = s.partners_dir(tmp_path)
    settings.as2 = AS2Identity(as2_id=s.OUR_AS2)  # no key configured
    rt = build_runtime(settings, clock=FixedClock(NOW))
    try:
        with s.serve(create_app(runtime=rt)) as base:
            response = s.post(f"{base}/as2", s.build(s.SAMPLE_855, s.partner_org(), s.gateway_as_partner()))
        assert response.status_code == 503
        assert response.json()["type"] == "/problems/as2-not-configured"
        (row,) = as2_rows(rt)
        assert row.status is db.AS2Status.FAILED
        assert row.raw is not None
    finally:
        rt.close()


def test_when_the_database_is_down_the_answer_is_503_and_no_mdn(tmp_path: Path) -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1:9/gateway?connect_timeout=2"
    settings = settings_for(tmp_path / "data", url)
    settings.partners_dir = s.partners_dir(tmp_path)
    rt = build_runtime(settings, clock=FixedClock(NOW), upgrade=False)
    try:
        with s.serve(create_app(runtime=rt)) as base:
            response = s.post(f"{base}/as2", s.build(s.SAMPLE_855, s.partner_org(), s.gateway_as_partner()))
        assert response.status_code == 503
        assert response.json()["type"] == "/problems/as2-unavailable"
    finally:
        rt.close()
