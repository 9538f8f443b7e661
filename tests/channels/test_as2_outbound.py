"""Our 850 to the AS2 sample partner, over a real socket to a loopback AS2 receiver built from
pyas2lib (the partner's side), on SQLite and PostgreSQL: the MDN verified and recorded on the
outbound message, error and unsigned MDNs refused, retries with the same Message-ID, and an
asynchronous MDN posted back to our `/as2`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy import select

from gateway import canonical
from gateway.app import create_app
from gateway.kit.clock import FixedClock
from gateway.pipeline import as2_outbound, erp
from gateway.pipeline.runtime import Runtime
from gateway.store import models as db
from gateway.store.session import session_scope
from gateway.worker import enqueue
from gateway.worker.settings import run_worker_async
from tests.channels import as2_support as s
from tests.channels.certs import cached_key_pair
from tests.pipeline.support import SAMPLES, NewDatabase


@dataclass
class PartnerServer:
    """The partner's AS2 server: reads our message with pyas2lib and answers its MDN."""

    verify_with: bytes | None = None  # our certificate as the partner knows it
    sign_mdns: bool = True
    payloads: list[bytes] = field(default_factory=list)
    message_ids: list[str] = field(default_factory=list)
    async_mdns: list[Any] = field(default_factory=list)
    receiver: s.Receiver = field(default_factory=s.Receiver)

    def handle(self, got: s.Received) -> tuple[int, list[tuple[str, str]], bytes]:
        pair = s.theirs()
        org = s.pyas2.Organization(
            as2_name=s.PARTNER_AS2,
            sign_key=pair.bundle if self.sign_mdns else None,
            decrypt_key=pair.bundle,
            domain="fjord.test",
        )
        gateway = s.pyas2.Partner(
            as2_name=s.OUR_AS2,
            verify_cert=self.verify_with or s.ours().certificate,
            sign=True,
            encrypt=True,
        )
        message = s.pyas2.Message()
        status, _exc, mdn = message.parse(
            got.raw,
            find_org_cb=lambda as2_id: org if as2_id == s.PARTNER_AS2 else None,
            find_partner_cb=lambda as2_id: gateway if as2_id == s.OUR_AS2 else None,
        )
        self.message_ids.append(message.message_id)
        if status == "processed":
            self.payloads.append(message.content)
        if mdn is None:
            return 200, [], b""
        if mdn.mdn_mode == "ASYNC":
            self.async_mdns.append(mdn)
            return 200, [("Content-Type", "text/plain")], b"MDN to follow"
        headers = [(k, " ".join(str(v).split())) for k, v in mdn.headers.items()]
        return 200, headers, mdn.content

    def start(self, port: int = 0) -> PartnerServer:
        self.receiver.handler = self.handle
        self.receiver.start(port)
        return self

    @property
    def url(self) -> str:
        return self.receiver.url


@pytest.fixture
def partner() -> Iterator[PartnerServer]:
    server = PartnerServer().start()
    try:
        yield server
    finally:
        server.receiver.stop()


def send_orders(rt: Runtime) -> None:
    data = erp.parse(s.SAMPLE_ORDERS.read_bytes())
    with session_scope(rt.sessionmaker) as session:
        erp.import_erp(session, rt, data, send=True)


def outbound(rt: Runtime) -> tuple[db.OutboundMessage, db.AS2Message, list[db.AS2Mdn]]:
    with session_scope(rt.sessionmaker) as session:
        (message,) = session.scalars(select(db.OutboundMessage).where(db.OutboundMessage.kind == "850")).all()
        (row,) = session.scalars(
            select(db.AS2Message).where(db.AS2Message.outbound_message_id == message.id)
        ).all()
        mdns = list(session.scalars(select(db.AS2Mdn).where(db.AS2Mdn.as2_message_id == row.id)))
        return message, row, mdns


def test_our_850_goes_by_as2_and_the_signed_mdn_is_verified_and_recorded(
    partner: PartnerServer, fresh_database: NewDatabase, tmp_path: Path
) -> None:
    rt = s.as2_runtime(tmp_path, fresh_database(), partner_url=partner.url)
    try:
        send_orders(rt)

        (payload,) = partner.payloads
        assert payload.startswith(b"ISA*")
        assert b"ST*850*" in payload
        assert b"BEG*00*SA*4500001004" in payload
        message, row, mdns = outbound(rt)
        assert (message.transport, message.status, message.mdn_status) == (
            "as2",
            db.OutboundStatus.SENT,
            "processed",
        )
        assert message.path is None  # not written to any outbox
        assert row.status is db.AS2Status.DELIVERED
        assert (row.signed, row.encrypted, row.compressed) == (True, True, True)
        assert row.message_id == partner.message_ids[0]
        assert row.raw is not None
        (mdn,) = mdns
        assert (mdn.direction, mdn.delivery, mdn.disposition) == (
            db.Direction.INBOUND,
            db.MdnDelivery.RECEIVED,
            "processed",
        )
        assert mdn.signed
        assert mdn.mic == row.mic  # the partner computed the MIC we did
        assert mdn.original_message_id == row.message_id
        assert b"multipart/signed" in mdn.raw
        with session_scope(rt.sessionmaker) as session:
            po = session.scalars(
                select(db.PurchaseOrder).where(db.PurchaseOrder.po_number == "4500001004")
            ).one()
            assert po.partner_id == s.PARTNER
    finally:
        rt.close()


def test_an_error_mdn_marks_the_message_failed(fresh_database: NewDatabase, tmp_path: Path) -> None:
    stranger = cached_key_pair("not-the-gateway")
    server = PartnerServer(
        verify_with=stranger.certificate
    ).start()  # the partner has a wrong certificate of ours
    rt = s.as2_runtime(tmp_path, fresh_database(), partner_url=server.url)
    try:
        send_orders(rt)

        message, row, (mdn,) = outbound(rt)
        assert message.status is db.OutboundStatus.FAILED
        assert message.mdn_status == "processed/Error: authentication-failed"
        assert row.status is db.AS2Status.REJECTED
        assert mdn.disposition == "processed/Error: authentication-failed"
        assert server.payloads == []
    finally:
        server.receiver.stop()
        rt.close()


def test_an_unsigned_mdn_is_refused_when_we_asked_for_a_signed_one(
    fresh_database: NewDatabase, tmp_path: Path
) -> None:
    server = PartnerServer(sign_mdns=False).start()
    rt = s.as2_runtime(tmp_path, fresh_database(), partner_url=server.url)
    try:
        send_orders(rt)

        message, row, (mdn,) = outbound(rt)
        assert len(server.payloads) == 1  # they got it, but their receipt proves nothing
        assert row.status is db.AS2Status.REJECTED
        assert message.status is db.OutboundStatus.FAILED
        assert message.mdn_status is not None
        assert "Expected signed MDN" in message.mdn_status
        assert not mdn.signed
    finally:
        server.receiver.stop()
        rt.close()


def test_a_send_that_finds_no_server_is_retried_with_the_same_message_id(
    fresh_database: NewDatabase, tmp_path: Path
) -> None:
    sock = s.free_socket()
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there yet
    rt = s.as2_runtime(tmp_path, fresh_database(), partner_url=f"http://127.0.0.1:{port}/as2")
    try:
        send_orders(rt)
        message, row, mdns = outbound(rt)
        assert (row.status, row.attempts, mdns) == (db.AS2Status.PENDING, 1, [])
        assert row.error is not None
        assert "ConnectError" in row.error
        assert message.mdn_status == "pending"
        assert row.next_attempt_at is not None

        server = PartnerServer().start(port)
        try:
            clock = rt.clock
            assert isinstance(clock, FixedClock)
            clock.advance(row.next_attempt_at - clock.now())
            (attempt,) = as2_outbound.retry_due(rt)
            assert attempt.outcome == "delivered"
            assert server.message_ids == [row.message_id]  # the resend carries the same Message-ID
        finally:
            server.receiver.stop()
        message, row, (_mdn,) = outbound(rt)
        assert (row.status, row.attempts) == (db.AS2Status.DELIVERED, 2)
        assert message.mdn_status == "processed"
    finally:
        rt.close()


def test_a_send_is_given_up_after_the_last_attempt(fresh_database: NewDatabase, tmp_path: Path) -> None:
    rt = s.as2_runtime(tmp_path, fresh_database(), partner_url="http://127.0.0.1:9/as2")
    rt.settings.as2.max_attempts = 2
    try:
        send_orders(rt)
        _, row, _ = outbound(rt)
        clock = rt.clock
        assert isinstance(clock, FixedClock)
        assert row.next_attempt_at is not None
        clock.advance(row.next_attempt_at - clock.now())

        (attempt,) = as2_outbound.retry_due(rt)

        assert attempt.outcome == "undeliverable"
        message, row, _ = outbound(rt)
        assert row.status is db.AS2Status.UNDELIVERABLE
        assert message.status is db.OutboundStatus.FAILED
        assert message.mdn_status is not None
        assert message.mdn_status.startswith("undeliverable")
        assert as2_outbound.retry_due(rt) == []
    finally:
        rt.close()


def test_an_async_mdn_posted_back_to_us_is_matched_verified_and_recorded(
    partner: PartnerServer, fresh_database: NewDatabase, tmp_path: Path
) -> None:
    sock = s.free_socket()
    mdn_url = f"http://127.0.0.1:{sock.getsockname()[1]}/as2"
    rt = s.as2_runtime(tmp_path, fresh_database(), partner_url=partner.url, mdn_mode="async", mdn_url=mdn_url)
    try:
        with s.serve(create_app(runtime=rt), sock):
            send_orders(rt)
            message, row, mdns = outbound(rt)
            assert (row.status, message.mdn_status, mdns) == (db.AS2Status.AWAITING_MDN, "pending", [])
            (mdn,) = partner.async_mdns
            assert mdn.mdn_url == mdn_url

            answer = httpx.post(
                mdn.mdn_url,
                headers={k: " ".join(str(v).split()) for k, v in mdn.headers.items()},
                content=mdn.content,
            )

            assert answer.status_code == 200
            assert b"processed" in answer.content
        message, row, (kept,) = outbound(rt)
        assert row.status is db.AS2Status.DELIVERED
        assert (message.status, message.mdn_status) == (db.OutboundStatus.SENT, "processed")
        assert (kept.mode, kept.delivery, kept.signed) == ("async", db.MdnDelivery.RECEIVED, True)
    finally:
        rt.close()


def test_the_850_of_a_file_drop_partner_still_goes_to_its_outbox(
    fresh_database: NewDatabase, tmp_path: Path
) -> None:
    rt = s.as2_runtime(tmp_path, fresh_database())
    try:
        orders = json.loads((SAMPLES / "erp" / "orders.json").read_text())
        po = canonical.PurchaseOrder.model_validate(orders["purchase_orders"][0])
        with session_scope(rt.sessionmaker) as session:
            erp.import_erp(session, rt, erp.ErpFile(purchase_orders=[po]), send=True)
        with session_scope(rt.sessionmaker) as session:
            (message,) = session.scalars(select(db.OutboundMessage)).all()
            assert message.transport == "filedrop"
            assert message.path is not None
            assert Path(message.path).read_text() == message.content
            assert session.scalars(select(db.AS2Message)).all() == []
    finally:
        rt.close()


@pytest.mark.redis
def test_with_redis_the_send_waits_for_a_worker_which_posts_it_and_verifies_the_mdn(
    partner: PartnerServer, fresh_database: NewDatabase, tmp_path: Path, redis_url: str, queue_name: str
) -> None:
    rt = s.as2_runtime(tmp_path, fresh_database(), partner_url=partner.url)
    rt.settings.redis_url = redis_url
    rt.jobs.close()
    rt.jobs = enqueue.Enqueuer.from_settings(rt.settings, rt.sessionmaker, queue_name=queue_name)
    row_id = ""
    try:
        send_orders(rt)
        _, row, _ = outbound(rt)
        row_id = row.id
        assert row.status is db.AS2Status.PENDING
        assert partner.payloads == []  # queued, not sent

        worker = asyncio.run(
            run_worker_async(rt.settings, queue_name=queue_name, burst=True, handle_signals=False, max_jobs=1)
        )

        assert (worker.jobs_complete, worker.jobs_failed) == (1, 0)
        assert len(partner.payloads) == 1
        message, row, (mdn,) = outbound(rt)
        assert (row.status, message.mdn_status, mdn.disposition) == (
            db.AS2Status.DELIVERED,
            "processed",
            "processed",
        )
    finally:
        client = redis.Redis.from_url(redis_url)
        try:
            job = enqueue.job_id(as2_outbound.SEND_JOB, row_id)
            client.delete(*(f"arq:{kind}:{job}" for kind in ("job", "result", "retry", "in-progress")))
        finally:
            client.close()
        rt.close()
