"""Replay on SQLite and PostgreSQL: re-derive events from the raw bytes with today's maps, show the
difference, apply only when asked; a processed document replayed changes no state; a corrected map
replaces the document's own events and never what a genuinely newer document applied."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.kit.clock import FixedClock
from gateway.mapping import MapRegistry
from gateway.pipeline import ingest, replay
from gateway.pipeline.runtime import Runtime, build_runtime
from gateway.store import models as db
from gateway.store.session import session_scope
from tests.pipeline.support import (
    MAPS_DIR,
    NOW,
    NewDatabase,
    import_orders,
    receive_samples,
    sample,
    settings_for,
)

ACTOR = "test:replay"


def snapshot(rt: Runtime) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table but the audit log (which records the replay itself)."""
    out: dict[str, list[tuple[str, ...]]] = {}
    with rt.engine.connect() as connection:
        for name, table in sorted(db.metadata.tables.items()):
            if name == "audit_log":
                continue
            rows = connection.execute(select(table)).all()
            out[name] = sorted(tuple(str(v) for v in row) for row in rows)
    return out


def audit_actions(rt: Runtime) -> list[str]:
    with session_scope(rt.sessionmaker) as session:
        return [e.action for e in session.scalars(select(db.AuditEntry).order_by(db.AuditEntry.id))]


def test_replaying_processed_documents_changes_no_state(runtime: Runtime) -> None:
    import_orders(runtime)
    receipts = receive_samples(runtime)
    before = snapshot(runtime)
    progress: list[tuple[int, int]] = []
    report = replay.run(
        runtime,
        replay.Selection(receipt_ids=receipts),
        apply=True,
        actor=ACTOR,
        on_progress=lambda done, total: progress.append((done, total)),
    )
    assert [p.action for p in report.plans] == [replay.Action.UNCHANGED] * len(receipts)
    assert progress == [(n, len(receipts)) for n in range(1, len(receipts) + 1)]
    assert all(p.events == [] and p.lines == [] and p.feed_events == {} for p in report.plans)
    assert snapshot(runtime) == before
    assert audit_actions(runtime) == ["replay.applied"]


# ----------------------------------------------------------------- a corrected map, and newer wins

# The broken 855 map forgets the committed quantity of each ACK line (so a line accepted with a
# change reads as accepted as ordered, and a split loses its quantities).
BROKEN_LINE = "          quantity: {from: ACK02, as: decimal}\n"
D_FILE = ("borealis-plastics", "855_000002202.edi")


def newer_855_for_line_3() -> bytes:
    """A genuinely newer 855 (a later BAK04, a higher ISA13) that changes only line 3: accepted as
    ordered (500), where the original said 550."""
    text = (
        "ISA|00|          |00|          |01|081234567      |ZZ|GATEWAYBUYER   "
        "|250306|0900|{|00501|000002299|0|P|^~"
        "GS|PR|BOREALISPLAS|GATEWAYBUYER|20250306|0900|2299|X|005010~ST|855|2299~"
        "BAK|00|AC|4500001002|20250304||||BPL-SO-7731|20250306~"
        "PO1|3|500|EA|0.12||BP|PLS-2003|VP|BPL-GR-12~ACK|IA|500|EA|067|20250324~"
        "CTT|1~SE|6|2299~GE|1|2299~IEA|1|000002299~"
    )
    return text.encode()


@pytest.fixture
def broken_maps(tmp_path: Path) -> Path:
    root = tmp_path / "maps-broken"
    shutil.copytree(MAPS_DIR, root)
    path = root / "x12" / "855" / "004010.yaml"
    text = path.read_text()
    assert BROKEN_LINE in text
    path.write_text(text.replace(BROKEN_LINE, ""))
    for case in (root / "x12" / "855").glob("*.cases"):
        shutil.rmtree(case)
    return root


@pytest.fixture
def rt(fresh_database: NewDatabase, tmp_path: Path, broken_maps: Path) -> Iterator[Runtime]:
    settings = settings_for(tmp_path / "data", fresh_database()).model_copy(update={"maps_dir": broken_maps})
    runtime = build_runtime(settings, clock=FixedClock(NOW))
    try:
        yield runtime
    finally:
        runtime.close()


def line(rt: Runtime, number: str) -> db.PurchaseOrderLine:
    with session_scope(rt.sessionmaker) as session:
        row = session.scalars(
            select(db.PurchaseOrderLine)
            .join(db.PurchaseOrder)
            .where(db.PurchaseOrder.po_number == "4500001002", db.PurchaseOrderLine.line_number == number)
        ).one()
        return row


def test_a_corrected_map_replaces_the_documents_events_and_newer_documents_still_win(rt: Runtime) -> None:
    import_orders(rt)
    original = ingest.receive(rt, sample(*D_FILE), channel="filedrop", file_name=D_FILE[1])
    newer = ingest.receive(rt, newer_855_for_line_3(), channel="filedrop", file_name="855_000002299.edi")
    assert line(rt, "3").committed_quantity == 500  # the newer document's
    first = line(rt, "1").ledger
    assert first is not None
    assert first["committed_schedule"] == []  # the broken map lost the split quantities

    rt.maps = MapRegistry.load(MAPS_DIR)  # the corrected map
    before = snapshot(rt)
    preview = replay.run(rt, replay.Selection(receipt_ids=[original]), apply=False, actor=ACTOR)
    assert snapshot(rt) == before  # a preview changes nothing
    (plan,) = preview.plans
    assert plan.action is replay.Action.CORRECT
    changes = {e.key: e.change for e in plan.events}
    assert changes == {
        "commitment PO 4500001002 line 1": "changed",
        "commitment PO 4500001002 line 2": "changed",
        "commitment PO 4500001002 line 3": "superseded",  # document 2299 is newer: it keeps line 3
    }
    superseded = next(e for e in plan.events if e.change == "superseded")
    assert any("is newer" in f for f in superseded.fields)
    changed_lines = {c.line_number for c in plan.lines}
    assert "3" not in changed_lines
    assert plan.feed_events.get("commitment.recorded") == 2

    applied = replay.run(rt, replay.Selection(receipt_ids=[original]), apply=True, actor=ACTOR)
    assert [e.key for e in applied.plans[0].events] == [e.key for e in plan.events]
    assert applied.plans[0].lines == plan.lines  # applying did what the preview showed
    one, three = line(rt, "1"), line(rt, "3")
    assert one.ledger is not None
    assert three.ledger is not None
    assert [s["quantity"] for s in one.ledger["committed_schedule"]] == ["60", "40"]
    assert one.ledger["commitment_version"]["revision"] == 1
    assert three.committed_quantity == 500
    with session_scope(rt.sessionmaker) as session:
        newer_doc = session.scalars(select(db.Document.id).where(db.Document.receipt_id == newer)).one()
    assert three.ledger["commitment_document_id"] == newer_doc

    # Replaying again with the same maps finds nothing more to do.
    again = replay.run(rt, replay.Selection(receipt_ids=[original]), apply=True, actor=ACTOR)
    assert again.plans[0].action is replay.Action.UNCHANGED
    assert audit_actions(rt) == ["replay.previewed", "replay.applied", "replay.applied"]


def test_a_dead_lettered_receipt_is_reprocessed_and_its_dead_letter_resolved(rt: Runtime) -> None:
    import_orders(rt)
    # What a receipt that gave up looks like: nothing of it stored but its bytes, dead-lettered.
    fresh = ingest.receive(rt, b"ISA*00*broken", channel="filedrop", file_name="bad.edi")
    with session_scope(rt.sessionmaker) as session:
        row = session.get(db.Receipt, fresh)
        assert row is not None
        row.status = db.ReceiptStatus.DEAD_LETTER
        session.add(
            db.DeadLetter(
                kind=db.DeadLetterKind.RECEIPT,
                item_id=fresh,
                job="ingest.process_receipt",
                attempts=5,
                reason="OperationalError: server closed the connection",
                dead_at=NOW,
            )
        )
    report = replay.run(rt, replay.Selection(dead_letters=True), apply=True, actor=ACTOR)
    assert [(p.receipt_id, p.action) for p in report.plans] == [(fresh, replay.Action.REPROCESS)]
    with session_scope(rt.sessionmaker) as session:
        row = session.get(db.Receipt, fresh)
        letter = session.scalars(select(db.DeadLetter).where(db.DeadLetter.item_id == fresh)).one()
        assert row is not None
        assert row.status is db.ReceiptStatus.FAILED
        assert letter.resolved_at is not None
        assert letter.resolution == f"replayed by {ACTOR}"


def test_an_older_ship_notice_replaced_by_a_newer_one_replays_unchanged(runtime: Runtime) -> None:
    import_orders(runtime)
    original = sample("acme-fasteners", "856_000000431.edi")
    newer = (
        original.replace(b"*000000431*", b"*000000499*")
        .replace(b"IEA*1*000000431", b"IEA*1*000000499")
        .replace(b"BSN*00*ACM-SH-20250314*20250314*1015", b"BSN*00*ACM-SH-20250314*20250315*0900")
        .replace(b"SN1*1*5000*EA", b"SN1*1*4000*EA")
    )
    first = ingest.receive(runtime, original, channel="filedrop")
    ingest.receive(runtime, newer, channel="filedrop")  # replaces the shipment: 4000 on line 1
    before = snapshot(runtime)
    report = replay.run(runtime, replay.Selection(receipt_ids=[first]), apply=True, actor=ACTOR)
    assert [p.action for p in report.plans] == [replay.Action.UNCHANGED]
    assert report.plans[0].events == []
    assert snapshot(runtime) == before
