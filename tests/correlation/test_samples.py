"""The sample POs and partner files give the exceptions samples/README.md promises for the 855s.

The commitments are written here by hand as the 855 map should produce them, so this test checks
correlation alone; the end-to-end tests check the map and correlation together.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from gateway.canonical.exceptions import ExceptionCase, ExceptionType
from gateway.canonical.models import Commitment, CommitmentLine, CommitmentStatus, LineAction, PurchaseOrder
from gateway.correlation.engine import correlate_commitment, correlate_shipment
from gateway.correlation.ledger import PurchaseOrderState
from gateway.correlation.terms import PartnerTerms
from gateway.partners.model import PartnerConfig
from tests.correlation.builders import applied, make_commitment, make_shipment, make_shipment_line, stamp

T = ExceptionType
NOW = dt.datetime(2025, 3, 5, 14, 0, tzinfo=dt.UTC)


def _terms(repo_root: Path, partner: str) -> PartnerTerms:
    raw = yaml.safe_load((repo_root / "partners" / f"{partner}.yaml").read_text())
    return PartnerTerms.from_config(PartnerConfig.model_validate(raw))


def _state(repo_root: Path, po_number: str) -> PurchaseOrderState:
    orders = json.loads((repo_root / "samples" / "erp" / "orders.json").read_text())
    po = next(p for p in orders["purchase_orders"] if p["po_number"] == po_number)
    return PurchaseOrderState.fresh(PurchaseOrder.model_validate(po))


def _ack(action: LineAction, qty: str, unit: str, day: str | None) -> CommitmentLine:
    return CommitmentLine(
        action=action,
        status_code=action,
        quantity=Decimal(qty),
        unit=unit,
        date=dt.date.fromisoformat(day) if day else None,
    )


def _commit(
    po: str,
    partner: str,
    line: str,
    quantity: str,
    unit: str = "EA",
    *,
    status: CommitmentStatus = CommitmentStatus.ACCEPTED,
    day: str | None = None,
    price: str | None = None,
    schedule: tuple[CommitmentLine, ...] = (),
) -> Commitment:
    return make_commitment(
        line,
        po_number=po,
        partner_id=partner,
        status=status,
        quantity=quantity,
        unit=unit,
        committed_date=dt.date.fromisoformat(day) if day else None,
        unit_price=price,
        schedule=schedule,
        version=stamp(1),
    )


@pytest.fixture
def borealis(repo_root: Path) -> tuple[PurchaseOrderState, PartnerTerms]:
    return _state(repo_root, "4500001002"), _terms(repo_root, "borealis-plastics")


@pytest.fixture
def cascade(repo_root: Path) -> tuple[PurchaseOrderState, PartnerTerms]:
    return _state(repo_root, "4500001003"), _terms(repo_root, "cascade-electronics")


def test_borealis_855_is_late_on_line_1_converts_line_2_and_is_over_on_line_3(
    borealis: tuple[PurchaseOrderState, PartnerTerms],
) -> None:
    state, terms = borealis
    po, partner = "4500001002", "borealis-plastics"
    splits = (
        _ack(LineAction.ACCEPT, "60", "EA", "2025-03-24"),
        _ack(LineAction.BACKORDER, "40", "EA", "2025-04-14"),
    )
    line1 = _commit(
        po,
        partner,
        "1",
        "100",
        status=CommitmentStatus.BACKORDERED,
        day="2025-04-14",
        price="4.75",
        schedule=splits,
    )
    line2 = _commit(po, partner, "2", "20", "CA", day="2025-03-24", price="4.20")
    line3 = _commit(
        po, partner, "3", "550", status=CommitmentStatus.ACCEPTED_WITH_CHANGES, day="2025-03-24", price="0.12"
    )
    opened: list[ExceptionCase] = []
    for c in (line1, line2, line3):
        result = correlate_commitment(c, state, terms, NOW)
        state = applied(state, result)
        opened.extend(result.exceptions_to_open)
    assert [(c.type, c.line_number, c.expected, c.actual) for c in opened] == [
        (T.DATE_LATE, "1", "2025-03-24 (delivery)", "2025-04-14 (delivery)"),
        (T.QUANTITY_OVER, "3", "500 EA", "550 EA"),
    ]
    assert state.ledgers["2"].committed_quantity == Decimal(240)
    assert state.ledgers["2"].committed_price == Decimal("0.35")


def test_cascade_855_rejects_line_2_and_cuts_line_3_then_the_856_over_ships_line_4(
    cascade: tuple[PurchaseOrderState, PartnerTerms],
) -> None:
    state, terms = cascade
    po = "4500001003"
    partner = "cascade-electronics"
    acks = [
        _commit(po, partner, "1", "200", day="2025-03-21"),
        _commit(po, partner, "2", "0", status=CommitmentStatus.REJECTED),
        _commit(po, partner, "3", "250", status=CommitmentStatus.ACCEPTED_WITH_CHANGES, day="2025-03-21"),
        _commit(po, partner, "4", "120", day="2025-03-21"),
    ]
    opened: list[tuple[T, str | None, str | None, str | None]] = []
    for c in acks:
        result = correlate_commitment(c, state, terms, NOW)
        state = applied(state, result)
        opened.extend((x.type, x.line_number, x.expected, x.actual) for x in result.exceptions_to_open)
    assert opened == [
        (T.REJECTED_LINE, "2", "150 EA", "rejected"),
        (T.QUANTITY_SHORT, "3", "300 EA", "250 EA"),
    ]
    asn = make_shipment(
        make_shipment_line("1", quantity="200", po_number=po),
        make_shipment_line("3", quantity="250", po_number=po),
        make_shipment_line("4", quantity="130", po_number=po),
        make_shipment_line("5", quantity="50", po_number=po, buyer_item="ELC-3005"),
        make_shipment_line("1", quantity="10", po_number="4500009999"),
        shipment_id="CE-ASN-20",
        partner_id="cascade-electronics",
    )
    result = correlate_shipment(asn, {po: state}, terms, NOW)
    assert {(c.type, c.subject) for c in result.exceptions_to_open} == {
        (T.OVER_SHIPMENT, f"po:{po}:line:4"),
        (T.UNKNOWN_LINE, f"shipment:CE-ASN-20:po:{po}:line:5"),
        (T.UNKNOWN_PO, "shipment:CE-ASN-20:po:4500009999"),
    }
