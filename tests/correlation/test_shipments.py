from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from gateway.canonical.exceptions import ExceptionType
from gateway.canonical.models import CommitmentStatus, ShipmentPurpose
from gateway.correlation.engine import correlate_commitment, correlate_shipment
from gateway.correlation.ledger import PurchaseOrderState
from gateway.partners.model import ItemXref, UnitConversion
from tests.correlation.builders import (
    NOW,
    PO,
    applied,
    make_commitment,
    make_line,
    make_shipment,
    make_shipment_line,
    make_state,
    make_terms,
    open_keys,
    stamp,
)

T = ExceptionType
LINE1 = f"po:{PO}:line:1"
LINE2 = f"po:{PO}:line:2"


def committed(state: PurchaseOrderState) -> PurchaseOrderState:
    """The state after a plain acceptance of every line."""
    return applied(
        state, correlate_commitment(make_commitment(None, version=stamp(0)), state, make_terms(), NOW)
    )


def test_shipment_records_its_quantity_by_shipment_id() -> None:
    state = committed(make_state())
    result = correlate_shipment(
        make_shipment(make_shipment_line(quantity="40")), {PO: state}, make_terms(), NOW
    )
    ledger = result.ledger_updates[(PO, "1")]
    assert ledger.shipped == {"ACME-SH-1": Decimal(40)}
    assert ledger.shipment_versions == {"ACME-SH-1": stamp(1)}
    assert result.exceptions_to_open == ()
    assert result.resolve_scope == "shipment:ACME-SH-1"
    assert {(T.OVER_SHIPMENT, LINE1), (T.SHIPMENT_WITHOUT_COMMITMENT, LINE1)} <= set(
        result.exceptions_to_resolve
    )


def test_cases_shipped_are_counted_in_each() -> None:
    terms = make_terms(units=(UnitConversion(from_unit="CA", to_unit="EA", factor=Decimal(12)),))
    s = make_shipment(make_shipment_line(quantity="2", unit="CA"))
    result = correlate_shipment(s, {PO: committed(make_state())}, terms, NOW)
    assert result.ledger_updates[(PO, "1")].shipped == {"ACME-SH-1": Decimal(24)}


def test_lines_of_one_shipment_for_the_same_po_line_add_up() -> None:
    s = make_shipment(make_shipment_line(quantity="30"), make_shipment_line(quantity="20"))
    result = correlate_shipment(s, {PO: committed(make_state())}, make_terms(), NOW)
    assert result.ledger_updates[(PO, "1")].shipped_total == Decimal(50)


def test_shipment_before_any_commitment_is_flagged_and_a_commitment_clears_it() -> None:
    state = make_state()
    result = correlate_shipment(make_shipment(), {PO: state}, make_terms(), NOW)
    (case,) = result.exceptions_to_open
    assert (case.type, case.subject) == (T.SHIPMENT_WITHOUT_COMMITMENT, LINE1)
    assert case.actual == "10 EA"
    later = correlate_commitment(make_commitment(), applied(state, result), make_terms(), NOW)
    assert (T.SHIPMENT_WITHOUT_COMMITMENT, LINE1) in later.exceptions_to_resolve
    assert later.ledger_updates[(PO, "1")].shipped == {"ACME-SH-1": Decimal(10)}


def test_a_rejection_counts_as_a_commitment() -> None:
    state = make_state()
    rejected = correlate_commitment(
        make_commitment(status=CommitmentStatus.REJECTED), state, make_terms(), NOW
    )
    result = correlate_shipment(make_shipment(), {PO: applied(state, rejected)}, make_terms(), NOW)
    assert result.exceptions_to_open == ()


# ---------------------------------------------------------------- over-shipment


@pytest.mark.parametrize(("second", "over"), [("55", False), ("55.01", True)])
def test_over_shipment_sums_distinct_shipments_against_ordered_plus_tolerance(
    second: str, over: bool
) -> None:
    terms = make_terms(quantity_pct="5")
    state = committed(make_state())
    first = correlate_shipment(make_shipment(make_shipment_line(quantity="50")), {PO: state}, terms, NOW)
    state = applied(state, first)
    s2 = make_shipment(make_shipment_line(quantity=second), shipment_id="ACME-SH-2")
    result = correlate_shipment(s2, {PO: state}, terms, NOW)
    assert ((T.OVER_SHIPMENT, LINE1) in open_keys(result)) is over
    if over:
        (case,) = result.exceptions_to_open
        assert (case.expected, case.actual) == ("100 EA", "105.01 EA")
        assert case.details == {"ACME-SH-1": "50", "ACME-SH-2": "55.01"}


def test_anything_shipped_on_a_cancelled_line_is_over_shipment() -> None:
    state = committed(make_state(make_line("1"), make_line("2", cancelled=True)))
    s = make_shipment(make_shipment_line("2", quantity="1"))
    assert open_keys(correlate_shipment(s, {PO: state}, make_terms(), NOW)) == {(T.OVER_SHIPMENT, LINE2)}


# ---------------------------------------------------------------- replacement and deletion


def test_replacement_replaces_quantities_instead_of_adding() -> None:
    state = committed(make_state())
    state = applied(
        state,
        correlate_shipment(make_shipment(make_shipment_line(quantity="60")), {PO: state}, make_terms(), NOW),
    )
    v2 = make_shipment(make_shipment_line(quantity="70"), purpose=ShipmentPurpose.REPLACE, version=stamp(2))
    result = correlate_shipment(v2, {PO: state}, make_terms(), NOW)
    assert result.ledger_updates[(PO, "1")].shipped == {"ACME-SH-1": Decimal(70)}
    assert result.exceptions_to_open == ()


def test_replacement_that_drops_a_line_clears_that_line_and_its_cases() -> None:
    state = make_state(make_line("1"), make_line("2"))
    v1 = make_shipment(make_shipment_line("1"), make_shipment_line("2"))
    first = correlate_shipment(v1, {PO: state}, make_terms(), NOW)
    assert open_keys(first) == {
        (T.SHIPMENT_WITHOUT_COMMITMENT, LINE1),
        (T.SHIPMENT_WITHOUT_COMMITMENT, LINE2),
    }
    state = applied(state, first)
    v2 = make_shipment(make_shipment_line("2"), purpose=ShipmentPurpose.REPLACE, version=stamp(2))
    result = correlate_shipment(v2, {PO: state}, make_terms(), NOW)
    assert result.ledger_updates[(PO, "1")].shipped == {}
    assert (T.SHIPMENT_WITHOUT_COMMITMENT, LINE1) in result.exceptions_to_resolve
    assert open_keys(result) == {(T.SHIPMENT_WITHOUT_COMMITMENT, LINE2)}


def test_deletion_removes_the_quantities_and_an_older_copy_cannot_bring_them_back() -> None:
    state = committed(make_state())
    state = applied(state, correlate_shipment(make_shipment(), {PO: state}, make_terms(), NOW))
    delete = make_shipment(purpose=ShipmentPurpose.DELETE, version=stamp(3))
    result = correlate_shipment(delete, {PO: state}, make_terms(), NOW)
    assert result.ledger_updates[(PO, "1")].shipped == {}
    assert result.exceptions_to_open == ()
    state = applied(state, result)
    late = make_shipment(make_shipment_line(quantity="99"), version=stamp(2), document_id="doc-late")
    stale = correlate_shipment(late, {PO: state}, make_terms(), NOW)
    assert stale.stale
    assert stale.ledger_updates == {}
    assert open_keys(stale) == {(T.STALE_UPDATE, "document:doc-late")}
    assert stale.resolve_scope is None


def test_the_same_shipment_twice_is_a_silent_duplicate() -> None:
    state = committed(make_state())
    s = make_shipment()
    state = applied(state, correlate_shipment(s, {PO: state}, make_terms(), NOW))
    again = correlate_shipment(s, {PO: state}, make_terms(), NOW)
    assert (again.stale, again.ledger_updates, again.exceptions_to_open) == (True, {}, ())


def test_known_version_outside_the_ledgers_counts() -> None:
    s = make_shipment(version=stamp(1))
    result = correlate_shipment(s, {PO: make_state()}, make_terms(), NOW, known_version=stamp(2))
    assert result.stale
    assert result.exceptions_to_open[0].type is T.STALE_UPDATE


def test_other_shipments_are_untouched() -> None:
    state = committed(make_state())
    state = applied(state, correlate_shipment(make_shipment(), {PO: state}, make_terms(), NOW))
    other = make_shipment(make_shipment_line(quantity="5"), shipment_id="ACME-SH-2")
    result = correlate_shipment(other, {PO: state}, make_terms(), NOW)
    assert result.ledger_updates[(PO, "1")].shipped == {"ACME-SH-1": Decimal(10), "ACME-SH-2": Decimal(5)}


# ---------------------------------------------------------------- matching problems


def test_unknown_po_is_keyed_by_the_shipment() -> None:
    s = make_shipment(make_shipment_line(po_number="4500009"), make_shipment_line("2", po_number="4500009"))
    result = correlate_shipment(s, {}, make_terms(), NOW)
    (case,) = result.exceptions_to_open
    assert (case.type, case.subject) == (T.UNKNOWN_PO, "shipment:ACME-SH-1:po:4500009")
    assert "shipment ACME-SH-1" in case.message


def test_po_of_another_partner_is_not_seen() -> None:
    result = correlate_shipment(make_shipment(), {PO: make_state(partner_id="globex")}, make_terms(), NOW)
    assert open_keys(result) == {(T.UNKNOWN_PO, f"shipment:ACME-SH-1:po:{PO}")}
    assert result.ledger_updates == {}


def test_unknown_line_and_item_mismatch_are_keyed_by_the_shipment() -> None:
    s = make_shipment(make_shipment_line("7"), make_shipment_line("1", buyer_item="NUT-5"))
    result = correlate_shipment(s, {PO: make_state()}, make_terms(), NOW)
    assert open_keys(result) == {
        (T.UNKNOWN_LINE, f"shipment:ACME-SH-1:po:{PO}:line:7"),
        (T.ITEM_MISMATCH, f"shipment:ACME-SH-1:po:{PO}:line:1"),
    }


def test_unconvertible_shipment_unit_is_not_counted() -> None:
    s = make_shipment(make_shipment_line(quantity="1", unit="PL"))
    result = correlate_shipment(s, {PO: committed(make_state())}, make_terms(), NOW)
    (case,) = result.exceptions_to_open
    assert (case.type, case.subject) == (T.UNIT_NOT_CONVERTIBLE, f"shipment:ACME-SH-1:po:{PO}:line:1")
    assert (case.expected, case.actual) == ("EA", "1 PL")
    assert result.ledger_updates == {}


def test_upc_through_the_xref_finds_the_line() -> None:
    terms = make_terms(items=(ItemXref(buyer_item="NUT-5", supplier_item="S-NUT", upc="0002"),))
    state = committed(make_state(make_line("1"), make_line("2", buyer_item="NUT-5")))
    s = make_shipment(make_shipment_line(None, upc="0002", quantity="3"))
    result = correlate_shipment(s, {PO: state}, terms, NOW)
    assert result.ledger_updates[(PO, "2")].shipped == {"ACME-SH-1": Decimal(3)}
    assert "matched line 2 by its item (UPC 0002)" in result.notes[0]


def test_naive_now_is_rejected_for_shipments_too() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        correlate_shipment(make_shipment(), {}, make_terms(), dt.datetime(2026, 1, 1))


def test_shipment_line_with_neither_line_number_nor_item_is_unknown_line() -> None:
    s = make_shipment(make_shipment_line(None))
    result = correlate_shipment(s, {PO: make_state()}, make_terms(), NOW)
    (case,) = result.opened(T.UNKNOWN_LINE)
    assert case.subject == f"shipment:ACME-SH-1:po:{PO}:item:?"


def test_delete_arriving_before_its_original_keeps_the_original_out() -> None:
    state = committed(make_state())
    delete = make_shipment(purpose=ShipmentPurpose.DELETE, version=stamp(2))
    first = correlate_shipment(delete, {PO: state}, make_terms(), NOW)
    assert first.ledger_updates[(PO, "1")].shipped == {}
    original = make_shipment(make_shipment_line(quantity="40"), version=stamp(1))
    late = correlate_shipment(original, {PO: applied(state, first)}, make_terms(), NOW)
    assert late.stale
    assert late.ledger_updates == {}


def test_delete_opens_no_case_for_lines_it_cannot_match() -> None:
    delete = make_shipment(make_shipment_line(po_number="4500009"), purpose=ShipmentPurpose.DELETE)
    result = correlate_shipment(delete, {}, make_terms(), NOW)
    assert result.exceptions_to_open == ()
    assert result.resolve_scope == "shipment:ACME-SH-1"
