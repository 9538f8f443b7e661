"""Commitments and shipments: newer wins, and a ship notice never counts twice."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from gateway import canonical
from gateway.store import repositories as repo
from tests.store.builders import make_commitment, make_shipment, stamp


def test_latest_for_line_is_the_newest_non_stale_commitment(session: Session) -> None:
    commitments = repo.CommitmentRepository(session)
    commitments.add(make_commitment(quantity="100", version=stamp(0)))
    commitments.add(make_commitment(quantity="90", version=stamp(10)))
    commitments.add(make_commitment(quantity="70", version=stamp(5)), is_stale=True)
    commitments.add(make_commitment(line_number=None, quantity="1", version=stamp(20)))
    latest = commitments.latest_for_line("acme", "4500001", "1")
    assert latest is not None
    assert latest.quantity == Decimal(90)
    header = commitments.latest_for_line("acme", "4500001", None)
    assert header is not None
    assert header.quantity == Decimal(1)
    assert len(commitments.list_for_po("acme", "4500001")) == 4
    assert commitments.canonical(latest) == make_commitment(quantity="90", version=stamp(10))
    assert commitments.latest_for_line("acme", "4500001", "9") is None


def test_the_same_ship_notice_twice_never_doubles_the_shipped_quantity(session: Session) -> None:
    shipments = repo.ShipmentRepository(session)
    first = shipments.upsert(make_shipment())
    again = shipments.upsert(make_shipment())
    assert (first.outcome, again.outcome) == (repo.UpsertOutcome.CREATED, repo.UpsertOutcome.UNCHANGED)
    assert not again.applied
    assert shipments.shipped_quantity("acme", "4500001", "1", "EA") == Decimal(40)


def test_a_replacement_replaces_the_lines_instead_of_adding_to_them(session: Session) -> None:
    shipments = repo.ShipmentRepository(session)
    shipments.upsert(make_shipment(lines=(("4500001", "1", "40"), ("4500001", "2", "5"))))
    replaced = shipments.upsert(
        make_shipment(
            lines=(("4500001", "1", "35"),), version=stamp(30), purpose=canonical.ShipmentPurpose.REPLACE
        )
    )
    assert replaced.outcome is repo.UpsertOutcome.REPLACED
    assert shipments.shipped_quantity("acme", "4500001", "1", "EA") == Decimal(35)
    assert shipments.shipped_quantity("acme", "4500001", "2", "EA") == Decimal(0)
    row = shipments.get("acme", "SH-1")
    assert row is not None
    assert [(ln.position, ln.quantity) for ln in row.lines] == [(1, Decimal(35))]


def test_an_older_version_arriving_late_is_stale_and_ignored(session: Session) -> None:
    shipments = repo.ShipmentRepository(session)
    shipments.upsert(make_shipment(lines=(("4500001", "1", "40"),), version=stamp(30)))
    late = shipments.upsert(make_shipment(lines=(("4500001", "1", "99"),), version=stamp(0)))
    assert late.outcome is repo.UpsertOutcome.STALE
    assert shipments.shipped_quantity("acme", "4500001", "1", "EA") == Decimal(40)


def test_shipped_totals_sum_distinct_shipments_and_skip_deleted_ones(session: Session) -> None:
    shipments = repo.ShipmentRepository(session)
    shipments.upsert(make_shipment("SH-1", lines=(("4500001", "1", "40"),)))
    shipments.upsert(make_shipment("SH-2", lines=(("4500001", "1", "25"), ("4500001", "2", "5"))))
    shipments.upsert(make_shipment("SH-3", lines=(("4500001", "1", "1000"),)))
    shipments.upsert(make_shipment("SH-3", version=stamp(1), purpose=canonical.ShipmentPurpose.DELETE))
    shipments.upsert(make_shipment("SH-X", partner_id="other", lines=(("4500001", "1", "7"),)))
    totals = shipments.shipped_totals("acme", "4500001")
    assert [(t.line_number, t.unit, t.quantity, t.shipments) for t in totals] == [
        ("1", "EA", Decimal(65), 2),
        ("2", "EA", Decimal(5), 1),
    ]
    assert [s.shipment_id for s in shipments.list_for_po("acme", "4500001")] == ["SH-1", "SH-2"]


def test_a_delete_before_the_original_keeps_the_older_original_out(session: Session) -> None:
    shipments = repo.ShipmentRepository(session)
    deleted = shipments.upsert(make_shipment(version=stamp(10), purpose=canonical.ShipmentPurpose.DELETE))
    assert deleted.outcome is repo.UpsertOutcome.DELETED
    assert shipments.upsert(make_shipment(version=stamp(0))).outcome is repo.UpsertOutcome.STALE
    assert shipments.shipped_quantity("acme", "4500001", "1", "EA") == Decimal(0)


def test_an_operator_delete_marks_the_shipment_and_its_lines_stop_counting(session: Session) -> None:
    shipments = repo.ShipmentRepository(session)
    shipments.upsert(make_shipment())
    row = shipments.delete("acme", "SH-1")
    assert row is not None
    assert row.is_deleted
    assert shipments.delete("acme", "SH-404") is None
    assert shipments.shipped_quantity("acme", "4500001", "1", "EA") == Decimal(0)
