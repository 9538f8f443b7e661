"""Purchase orders with their ledgers, and production demand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from gateway import canonical
from gateway.correlation.ledger import LineLedger
from gateway.errors import ConflictError
from gateway.store import models as db
from gateway.store import repositories as repo
from tests.store.builders import make_purchase_order, stamp


def test_a_purchase_order_is_stored_with_its_lines_and_payload(session: Session) -> None:
    pos = repo.PurchaseOrderRepository(session)
    pos.upsert(make_purchase_order())
    session.expire_all()
    row = pos.get("4500001", partner_id="acme")
    assert row is not None
    assert [(ln.line_number, ln.quantity, ln.unit) for ln in row.lines] == [
        ("1", Decimal("100"), "EA"),
        ("2", Decimal("50"), "EA"),
    ]
    assert pos.canonical(row) == make_purchase_order()
    assert row.status is db.PurchaseOrderStatus.IMPORTED


def test_a_revision_updates_lines_keeps_ledgers_and_cancels_dropped_lines(session: Session) -> None:
    pos = repo.PurchaseOrderRepository(session)
    pos.upsert(make_purchase_order())
    ledger = LineLedger.for_line("4500001", make_purchase_order().lines[0]).model_copy(
        update={
            "committed_quantity": Decimal("80"),
            "commitment_version": stamp(),
            "shipped": {"SH-1": Decimal(30)},
        }
    )
    pos.save_ledger("acme", ledger)
    pos.upsert(make_purchase_order(revision=1, lines=(("1", "BOLT-10", "120"),)))
    session.expire_all()
    row = pos.require("4500001", partner_id="acme")
    first, second = row.lines
    assert (first.quantity, first.committed_quantity, first.shipped_quantity) == (
        Decimal(120),
        Decimal(80),
        Decimal(30),
    )
    assert first.commitment_issued_at == stamp().issued_at
    assert second.cancelled
    assert row.revision == 1


def test_state_gives_correlation_the_po_and_its_stored_ledgers(session: Session) -> None:
    pos = repo.PurchaseOrderRepository(session)
    po = make_purchase_order()
    pos.upsert(po)
    ledger = LineLedger.for_line(po.po_number, po.lines[1]).model_copy(
        update={"shipped": {"SH-9": Decimal(5)}}
    )
    pos.save_ledger("acme", ledger)
    state = pos.state("4500001", partner_id="acme")
    assert state is not None
    assert state.po == po
    assert state.ledgers == {"2": ledger}
    assert pos.state("nope", partner_id="acme") is None


def test_a_po_number_shared_by_two_partners_needs_the_partner(session: Session) -> None:
    pos = repo.PurchaseOrderRepository(session)
    pos.upsert(make_purchase_order(partner_id="acme"))
    pos.upsert(make_purchase_order(partner_id="borealis"))
    with pytest.raises(ConflictError):
        pos.get("4500001")
    # The API tests commit their POs to the same per-worker database: look at this PO number only.
    assert [p.partner_id for p in pos.list(limit=10_000) if p.po_number == "4500001"] == ["acme", "borealis"]
    listed = pos.list(partner_id="acme", with_lines=True)
    assert [len(p.lines) for p in listed] == [2]


def test_mark_sent_records_when_the_po_went_out(session: Session) -> None:
    pos = repo.PurchaseOrderRepository(session)
    row = pos.upsert(make_purchase_order())
    at = dt.datetime(2025, 3, 2, 9, tzinfo=dt.UTC)
    pos.mark_sent(row.id, at=at)
    assert (row.status, row.sent_at) == (db.PurchaseOrderStatus.SENT, at)
    assert [ln.line_number for ln in pos.lines(row.id)] == ["1", "2"]


def make_production_order(order_id: str, plant: str, *items: str) -> canonical.ProductionOrder:
    return canonical.ProductionOrder(
        order_id=order_id,
        plant=plant,
        start_date=dt.date(2025, 3, 25),
        components=tuple(
            canonical.ComponentRequirement(
                item=item, quantity=Decimal(10), unit="EA", need_date=dt.date(2025, 3, 24)
            )
            for item in items
        ),
    )


def test_production_orders_are_replaced_and_found_by_item_and_plant(session: Session) -> None:
    orders = repo.ProductionOrderRepository(session)
    orders.upsert(make_production_order("MO-1", "P100", "BOLT-10", "NUT-10"))
    orders.upsert(make_production_order("MO-2", "P200", "BOLT-10"))
    orders.upsert(make_production_order("MO-1", "P100", "NUT-10"))  # BOLT-10 no longer needed
    assert [o.order_id for o in orders.list(item="BOLT-10")] == ["MO-2"]
    assert [o.order_id for o in orders.list(item="NUT-10", plant="P100")] == ["MO-1"]
    requirements = orders.requirements("NUT-10")
    assert [(r.production_order.order_id, r.quantity) for r in requirements] == [("MO-1", Decimal(10))]
    row = orders.get("MO-1")
    assert row is not None
    assert orders.canonical(row) == make_production_order("MO-1", "P100", "NUT-10")
