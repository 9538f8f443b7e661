"""The demo journey end to end, on SQLite and on PostgreSQL: ERP orders in → 850s in each supplier's
outbox → the suppliers' 997s, 855s and 856s received → acks out, the 850s marked acknowledged, the
exceptions of `samples/README.md` open (eight from the documents, three production-at-risk), and
the event feed telling it all in cursor order."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.canonical import EventType
from gateway.formats.issues import Severity
from gateway.formats.x12 import reader
from gateway.formats.x12.model import GroupClosed, InterchangeClosed, TransactionSet, X12Item
from gateway.pipeline import ingest
from gateway.pipeline.runtime import Runtime
from gateway.store import models as db
from gateway.store.repositories.messaging import OutboxRepository
from gateway.store.session import session_scope
from tests.pipeline.support import (
    case_keys,
    import_orders,
    receipt_view,
    receive_samples,
    sample_files,
)

PARTNERS = ("acme-fasteners", "borealis-plastics", "cascade-electronics")
PO_OF = {
    "acme-fasteners": "4500001001",
    "borealis-plastics": "4500001002",
    "cascade-electronics": "4500001003",
}

# samples/README.md, "Files and the exceptions they should raise": (type, PO, line).
EXPECTED_EXCEPTIONS = {
    ("price_mismatch", "4500001001", "3"),
    ("date_late", "4500001002", "1"),
    ("quantity_over", "4500001002", "3"),
    ("rejected_line", "4500001003", "2"),
    ("quantity_short", "4500001003", "3"),
    ("over_shipment", "4500001003", "4"),
    ("unknown_line", "4500001003", "5"),
    ("unknown_po", "4500009999", "1"),
    # and the production-at-risk cases that follow (named by their first responsible PO line):
    ("production_at_risk", "4500001002", "1"),  # MO-70001, PLS-2001: 40 EA committed 19 days late
    ("production_at_risk", "4500001003", "2"),  # MO-70001, ELC-3002: line rejected, 150 EA short
    ("production_at_risk", "4500001003", "3"),  # MO-70002, ELC-3003: 250 of 300 EA committed
}

# What each partner's 997 (in samples/) says about our first group.
EXPECTED_850_STATUS = {
    "acme-fasteners": db.OutboundStatus.ACCEPTED,
    "borealis-plastics": db.OutboundStatus.ACCEPTED_WITH_ERRORS,
    "cascade-electronics": db.OutboundStatus.ACCEPTED,
}


def read_items(path: Path) -> list[X12Item]:
    return list(reader.read(path.read_bytes(), file_name=path.name))


def sets_of(items: list[X12Item]) -> list[TransactionSet]:
    return [item for item in items if isinstance(item, TransactionSet)]


def error_issues(items: list[X12Item]) -> list[str]:
    return [
        issue.message
        for item in items
        if isinstance(item, TransactionSet | GroupClosed | InterchangeClosed)
        for issue in item.issues
        if issue.severity is Severity.ERROR
    ]


def outbox(rt: Runtime, partner: str) -> Path:
    return rt.settings.data_dir / "filedrop" / partner / "outbox"


def inbound_groups(partner: str, set_ids: set[str]) -> set[tuple[str, str]]:
    """(GS01, GS06) of every group in the partner's sample files holding one of `set_ids`."""
    found: set[tuple[str, str]] = set()
    for path in sample_files():
        if path.parent.name != partner:
            continue
        for ts in sets_of(read_items(path)):
            if ts.set_id in set_ids and ts.group is not None:
                found.add((ts.group.functional_id, ts.group.control_number))
    return found


def acknowledged_groups(rt: Runtime, partner: str) -> set[tuple[str, str]]:
    """(AK101, AK102) of every 997 set in the partner's outbox."""
    found: set[tuple[str, str]] = set()
    for path in sorted(outbox(rt, partner).glob("997*.edi")):
        items = read_items(path)
        assert error_issues(items) == [], path.name
        for ts in sets_of(items):
            if ts.set_id == "997":
                found |= {(seg.get(1), seg.get(2)) for seg in ts.segments if seg.tag == "AK1"}
    return found


def test_the_sample_orders_go_out_as_850s_and_the_suppliers_answers_come_back_correlated(
    runtime: Runtime,
) -> None:
    rt = runtime
    report = import_orders(rt, send=True)

    # An 850 per X12 partner's PO, in the partner's outbox under the data dir, readable and carrying
    # the PO number (the EDIFACT partner's ORDERS: tests/e2e/test_edifact_story.py).
    x12_sent = [sent for sent in report.sent if sent[1] in PO_OF]
    assert sorted((po, partner) for po, partner, _ in x12_sent) == sorted(
        (po, partner) for partner, po in PO_OF.items()
    )
    for po, partner, path in x12_sent:
        assert path is not None
        written = Path(path)
        assert written.parent == outbox(rt, partner)
        items = read_items(written)
        assert error_issues(items) == []
        (ts,) = sets_of(items)
        assert ts.set_id == "850"
        assert [seg.get(3) for seg in ts.segments if seg.tag == "BEG"] == [po]

    receipts = receive_samples(rt)
    assert len(receipts) == len(sample_files()) == 9

    # Every document read and correlated.
    documents = [doc for rid in receipts for doc in receipt_view(rt, rid).documents]
    assert [receipt_view(rt, rid).status for rid in receipts] == ["processed"] * 9
    assert len(documents) == 9
    assert {(d.doc_type, d.status) for d in documents} == {
        ("997", "correlated"),
        ("855", "correlated"),
        ("856", "correlated"),
    }

    # Each partner's 855 and 856 groups are acknowledged by 997s in its outbox; its 997 is not.
    for partner in PARTNERS:
        assert acknowledged_groups(rt, partner) == inbound_groups(partner, {"855", "856"}), partner

    # Exactly the eight exceptions the samples README lists, and the three production-at-risk cases.
    assert case_keys(rt) == EXPECTED_EXCEPTIONS

    with session_scope(rt.sessionmaker) as session:
        sent = session.scalars(select(db.OutboundMessage).where(db.OutboundMessage.kind == "850")).all()
        assert {m.partner_id: m.status for m in sent} == EXPECTED_850_STATUS
        assert all(m.ack_document_id is not None for m in sent)

        events = OutboxRepository(session).list_after(0, 10_000)
        cursors = [e.cursor for e in events]
        assert cursors == sorted(set(cursors))  # strictly increasing
        types = {e.type for e in events}
        assert {
            EventType.COMMITMENT_RECORDED,
            EventType.SHIPMENT_RECEIVED,
            EventType.FUNCTIONAL_ACK_RECEIVED,
            EventType.EXCEPTION_OPENED,
        } <= types

        # Every event about a supplier document names it, and its correlation id is its receipt's.
        doc_ids = {d.document_id for d in documents}
        inbound = [
            e
            for e in events
            if e.type
            in (
                EventType.COMMITMENT_RECORDED,
                EventType.SHIPMENT_RECEIVED,
                EventType.FUNCTIONAL_ACK_RECEIVED,
                EventType.EXCEPTION_OPENED,
            )
        ]
        assert inbound
        for event in inbound:
            assert event.document_id in doc_ids, event.type
            document = session.get(db.Document, event.document_id)
            assert document is not None
            receipt = session.get(db.Receipt, document.receipt_id)
            assert receipt is not None
            assert event.correlation_id == (receipt.correlation_id or receipt.id)
        assert {e.document_id for e in inbound} == doc_ids

        # The feed reads back as canonical events.
        for event in events:
            assert OutboxRepository.event(event).cursor == event.cursor


@pytest.mark.parametrize("partner", PARTNERS)
def test_a_partners_997_marks_only_its_own_850(runtime: Runtime, partner: str) -> None:
    rt = runtime
    import_orders(rt, send=True)
    (path,) = (p for p in sample_files() if p.parent.name == partner and p.name.startswith("997"))
    ingest.receive(rt, path.read_bytes(), channel="test", file_name=path.name)
    with session_scope(rt.sessionmaker) as session:
        sent = session.scalars(select(db.OutboundMessage).where(db.OutboundMessage.kind == "850")).all()
        statuses = {m.partner_id: m.status for m in sent}
    assert statuses == {
        p: EXPECTED_850_STATUS[p] if p == partner else db.OutboundStatus.WRITTEN for p in PARTNERS
    }
