"""Intake: duplicates and idempotency, unreadable files, unknown senders and sets we do not map.

Each test runs on a fresh SQLite and a fresh PostgreSQL database, with inline jobs and a fixed clock.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.canonical import EventType
from gateway.pipeline import ingest
from gateway.pipeline.runtime import Runtime
from gateway.store import models as db
from gateway.store.repositories.intake import InterchangeRepository
from gateway.store.repositories.messaging import OutboxRepository
from gateway.store.session import session_scope
from tests.pipeline.support import (
    counts,
    import_orders,
    ledger,
    open_cases,
    receipt_view,
    sample,
)

ACME_855 = ("acme-fasteners", "855_000000418.edi")
CASCADE_856 = ("cascade-electronics", "856_000050020.edi")


def receive(rt: Runtime, data: bytes, name: str = "in.edi", partner_id: str | None = None) -> str:
    return ingest.receive(rt, data, channel="test", file_name=name, partner_id=partner_id)


def acks_of(rt: Runtime, partner: str) -> list[db.OutboundMessage]:
    with session_scope(rt.sessionmaker) as session:
        return list(
            session.scalars(
                select(db.OutboundMessage)
                .where(db.OutboundMessage.partner_id == partner, db.OutboundMessage.kind != "850")
                .order_by(db.OutboundMessage.interchange_control)
            )
        )


def with_isa13(data: bytes, old: str, new: str) -> bytes:
    """The same interchange under another ISA13 (ISA and IEA both), everything else unchanged."""
    assert len(old) == len(new) == 9
    assert data.count(old.encode()) >= 2
    return data.replace(old.encode(), new.encode())


def test_the_same_file_received_twice_is_a_duplicate_with_no_new_documents_or_events_but_a_new_ack(
    runtime: Runtime,
) -> None:
    rt = runtime
    import_orders(rt)
    data = sample(*ACME_855)
    first = receive(rt, data)
    before = counts(rt)
    acks_before = acks_of(rt, "acme-fasteners")

    second = receive(rt, data)

    assert receipt_view(rt, first).status == "processed"
    view = receipt_view(rt, second)
    assert view.status == "duplicate"
    assert view.documents == ()
    after = counts(rt)
    assert (after.documents, after.events, after.cases, after.commitments) == (
        before.documents,
        before.events,
        before.cases,
        before.commitments,
    )
    assert after.receipts == before.receipts + 1  # the raw bytes are still kept
    acks_after = acks_of(rt, "acme-fasteners")
    assert len(acks_after) == len(acks_before) + 1
    assert acks_after[-1].kind == "997"
    assert view.acks  # acknowledged again
    with session_scope(rt.sessionmaker) as session:
        receipt = session.get(db.Receipt, second)
        assert receipt is not None
        assert receipt.duplicate_of_id == first


def test_another_file_with_the_same_partner_and_isa13_is_an_interchange_duplicate_with_no_events(
    runtime: Runtime,
) -> None:
    rt = runtime
    import_orders(rt)
    data = sample(*ACME_855)
    receive(rt, data)
    before = counts(rt)
    # Different bytes (BAK02 AD -> AC, a different acknowledgment), same partner and ISA13 000000418.
    changed = data.replace(b"BAK*00*AD*", b"BAK*00*AC*")
    assert changed != data

    again = receive(rt, changed)

    after = counts(rt)
    assert (after.documents, after.events, after.commitments) == (
        before.documents,
        before.events,
        before.commitments,
    )
    with session_scope(rt.sessionmaker) as session:
        (interchange,) = InterchangeRepository(session).for_receipt(again)
        assert interchange.status is db.InterchangeStatus.DUPLICATE
        assert interchange.duplicate_of_id is not None
        assert interchange.control_number == "000000418"


def test_processing_a_receipt_again_changes_nothing(runtime: Runtime) -> None:
    rt = runtime
    import_orders(rt)
    receipt_id = receive(rt, sample(*CASCADE_856))
    before = counts(rt)
    cases_before = open_cases(rt)
    ledger_before = ledger(rt)

    with session_scope(rt.sessionmaker) as session:
        report = ingest.process_receipt(session, rt, receipt_id)

    assert report.status == "processed"
    assert report.documents == []
    assert report.acks == []
    assert counts(rt) == before
    assert open_cases(rt) == cases_before
    assert ledger(rt) == ledger_before


def test_an_856_resent_under_another_isa13_never_doubles_the_shipped_quantities(runtime: Runtime) -> None:
    rt = runtime
    import_orders(rt)
    data = sample(*CASCADE_856)
    receive(rt, data)
    shipped = {(ln.po_number, ln.line_number): ln.shipped for ln in ledger(rt)}
    cases = {(c.type, c.po_number, c.line_number) for c in open_cases(rt)}
    assert shipped[("4500001003", "4")] == 130

    resend = receive(rt, with_isa13(data, "000050020", "000050099"))

    assert receipt_view(rt, resend).status == "processed"
    assert {(ln.po_number, ln.line_number): ln.shipped for ln in ledger(rt)} == shipped
    assert {(c.type, c.po_number, c.line_number) for c in open_cases(rt)} == cases
    with session_scope(rt.sessionmaker) as session:
        new_types = [
            e.type for e in OutboxRepository(session).list_after(0, 10_000) if e.correlation_id == resend
        ]
    assert EventType.SHIPMENT_RECEIVED not in new_types
    assert EventType.EXCEPTION_OPENED not in new_types


@pytest.mark.parametrize(
    ("data", "position"),
    [
        pytest.param(b"\x00\xff\xfe garbage, not EDI at all\n", "offset 0", id="garbage-bytes"),
        pytest.param(b"ISA*00*          *00*   ", "segment 1 (ISA)", id="truncated-isa"),
    ],
)
def test_an_unreadable_file_fails_its_receipt_with_a_typed_error_naming_the_position(
    runtime: Runtime, data: bytes, position: str
) -> None:
    rt = runtime
    receipt_id = receive(rt, data, name="broken.edi")

    view = receipt_view(rt, receipt_id)
    assert view.status == "failed"
    assert view.error is not None
    error_type = view.error.split(":")[0]
    assert error_type in ("FormatError", "UnknownFormatError")
    assert "broken.edi" in view.error
    assert position in view.error
    with session_scope(rt.sessionmaker) as session:
        receipt = session.get(db.Receipt, receipt_id)
        assert receipt is not None
        assert receipt.raw == data
    (case,) = open_cases(rt)
    assert case.type == "document_rejected"
    assert case.actual == error_type
    assert view.error in case.message


def test_an_unknown_sender_is_rejected_and_nothing_is_correlated(runtime: Runtime) -> None:
    rt = runtime
    import_orders(rt)
    ledger_before = ledger(rt)
    data = (
        sample(*ACME_855).replace(b"ACMEFAST       ", b"NOBODYWEKNOW   ").replace(b"*ACMEFAST*", b"*NOBODY*")
    )
    assert b"ACMEFAST" not in data

    receipt_id = receive(rt, data)

    view = receipt_view(rt, receipt_id)
    assert view.documents == ()
    (case,) = open_cases(rt)
    assert case.type == "document_rejected"
    assert "NOBODYWEKNOW" in (case.actual or "")
    assert ledger(rt) == ledger_before
    with session_scope(rt.sessionmaker) as session:
        types = {
            e.type for e in OutboxRepository(session).list_after(0, 10_000) if e.correlation_id == receipt_id
        }
    assert EventType.COMMITMENT_RECORDED not in types
    assert EventType.DOCUMENT_REJECTED in types


def test_a_set_we_have_no_map_for_is_skipped_not_failed(runtime: Runtime, shared_dir: Path) -> None:
    rt = runtime
    data = (shared_dir / "corpus" / "x12" / "810_004030_two-invoices_oopfactory.edi").read_bytes()

    receipt_id = receive(rt, data, name="invoices.edi", partner_id="acme-fasteners")

    view = receipt_view(rt, receipt_id)
    assert view.status == "processed"
    assert [(d.doc_type, d.status) for d in view.documents] == [("810", "skipped"), ("810", "skipped")]
    assert open_cases(rt) == []
