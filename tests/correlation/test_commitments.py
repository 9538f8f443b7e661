from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from gateway.canonical.exceptions import OWNERS, ExceptionType, Severity
from gateway.canonical.models import CommitmentStatus, LineAction, PurchaseOrderLine, ScheduleLine
from gateway.correlation.engine import correlate_commitment
from gateway.correlation.ledger import CommitmentScope, LineLedger
from gateway.partners.model import ItemXref, UnitConversion
from tests.correlation.builders import (
    NOW,
    PO,
    REQUESTED,
    applied,
    make_commitment,
    make_line,
    make_split,
    make_state,
    make_terms,
    open_keys,
    stamp,
)

LINE1 = f"po:{PO}:line:1"
T = ExceptionType


# ---------------------------------------------------------------- matching


def test_commitment_for_an_unknown_po_opens_unknown_po() -> None:
    result = correlate_commitment(make_commitment(po_number="999"), None, make_terms(), NOW)
    (case,) = result.exceptions_to_open
    assert (case.type, case.subject) == (T.UNKNOWN_PO, "po:999")
    assert case.owner is OWNERS[T.UNKNOWN_PO]
    assert case.opened_at == NOW
    assert case.impacted_production_orders == ()
    assert result.ledger_updates == {}


def test_po_of_another_partner_reads_as_unknown() -> None:
    state = make_state(partner_id="globex")
    result = correlate_commitment(make_commitment(), state, make_terms(), NOW)
    assert open_keys(result) == {(T.UNKNOWN_PO, f"po:{PO}")}


def test_unknown_line_number_opens_unknown_line() -> None:
    result = correlate_commitment(make_commitment("9"), make_state(), make_terms(), NOW)
    assert open_keys(result) == {(T.UNKNOWN_LINE, f"po:{PO}:line:9")}
    assert "no open line has this item" in result.exceptions_to_open[0].message


def test_unmatched_item_without_line_number_is_keyed_by_the_item() -> None:
    result = correlate_commitment(make_commitment(None, buyer_item="GEAR"), make_state(), make_terms(), NOW)
    assert open_keys(result) == {(T.UNKNOWN_LINE, f"po:{PO}:item:GEAR")}


def test_ambiguous_item_says_how_many_lines_fit() -> None:
    state = make_state(make_line("1"), make_line("2"))
    result = correlate_commitment(make_commitment(None, buyer_item="BOLT-10"), state, make_terms(), NOW)
    assert "2 open lines have this item" in result.exceptions_to_open[0].message


def test_wrong_item_on_a_known_line_opens_item_mismatch() -> None:
    result = correlate_commitment(make_commitment(buyer_item="NUT-5"), make_state(), make_terms(), NOW)
    (case,) = result.exceptions_to_open
    assert (case.type, case.subject) == (T.ITEM_MISMATCH, LINE1)
    assert (case.expected, case.actual) == ("BOLT-10", "buyer item NUT-5")
    assert case.severity is Severity.HIGH


def test_supplier_item_through_the_xref_matches_when_the_line_number_is_missing() -> None:
    terms = make_terms(items=(ItemXref(buyer_item="NUT-5", supplier_item="S-NUT"),))
    state = make_state(make_line("1"), make_line("2", buyer_item="NUT-5"))
    result = correlate_commitment(make_commitment(None, supplier_item="S-NUT"), state, terms, NOW)
    assert result.exceptions_to_open == ()
    assert set(result.ledger_updates) == {(PO, "2")}
    assert "matched line 2 by its item" in result.notes[0]


# ---------------------------------------------------------------- a clean acceptance


def test_acceptance_as_ordered_records_the_commitment_and_opens_nothing() -> None:
    c = make_commitment(quantity="100", unit="EA", committed_date=REQUESTED, unit_price="2.50")
    result = correlate_commitment(c, make_state(), make_terms(), NOW)
    assert result.exceptions_to_open == ()
    assert not result.stale
    ledger = result.ledger_updates[(PO, "1")]
    assert ledger.ack_status is CommitmentStatus.ACCEPTED
    assert ledger.committed_quantity == Decimal(100)
    assert ledger.committed_date == REQUESTED
    assert ledger.committed_date_kind == "delivery"
    assert ledger.committed_price == Decimal("2.50")
    assert ledger.commitment_version == c.version
    assert ledger.commitment_scope is CommitmentScope.LINE
    assert ledger.commitment_document_id == "doc-855-1"
    assert (T.SHIPMENT_WITHOUT_COMMITMENT, LINE1) in result.exceptions_to_resolve
    assert (T.QUANTITY_SHORT, LINE1) in result.exceptions_to_resolve


def test_acceptance_without_figures_commits_what_was_ordered() -> None:
    result = correlate_commitment(make_commitment(), make_state(), make_terms(), NOW)
    ledger = result.ledger_updates[(PO, "1")]
    assert (ledger.committed_quantity, ledger.committed_date, ledger.committed_price) == (
        Decimal(100),
        REQUESTED,
        Decimal("2.50"),
    )


def test_pending_without_figures_evaluates_nothing() -> None:
    c = make_commitment(status=CommitmentStatus.PENDING)
    result = correlate_commitment(c, make_state(), make_terms(), NOW)
    assert result.exceptions_to_open == ()
    ledger = result.ledger_updates[(PO, "1")]
    assert ledger.ack_status is CommitmentStatus.PENDING
    assert ledger.committed_quantity is None
    assert ledger.committed_date_kind is None


# ---------------------------------------------------------------- units


def test_cases_of_twelve_are_compared_in_each() -> None:
    terms = make_terms(units=(UnitConversion(from_unit="CA", to_unit="EA", factor=Decimal(12)),))
    state = make_state(make_line(quantity="120", unit_price="2.50"))
    c = make_commitment(quantity="10", unit="CA", unit_price="30")
    result = correlate_commitment(c, state, terms, NOW)
    assert result.exceptions_to_open == ()
    ledger = result.ledger_updates[(PO, "1")]
    assert ledger.committed_quantity == Decimal(120)
    assert ledger.committed_price == Decimal("2.5")


def test_unit_without_conversion_opens_unit_not_convertible_and_skips_quantity() -> None:
    c = make_commitment(quantity="3", unit="PL", unit_price="99")
    result = correlate_commitment(c, make_state(), make_terms(), NOW)
    (case,) = result.exceptions_to_open
    assert (case.type, case.subject) == (T.UNIT_NOT_CONVERTIBLE, LINE1)
    assert (case.expected, case.actual) == ("EA", "PL")
    assert result.ledger_updates[(PO, "1")].committed_quantity is None


def test_price_in_a_unit_without_conversion_is_unit_not_convertible() -> None:
    c = make_commitment(quantity="100", unit_price="99", unit="PL")
    terms = make_terms()
    assert open_keys(correlate_commitment(c, make_state(), terms, NOW)) == {(T.UNIT_NOT_CONVERTIBLE, LINE1)}


# ---------------------------------------------------------------- schedule splits


def test_splits_sum_their_quantities_and_the_latest_date_counts() -> None:
    later = REQUESTED + dt.timedelta(days=10)
    c = make_commitment(
        status=CommitmentStatus.ACCEPTED_WITH_CHANGES,
        schedule=(
            make_split(quantity="60", date=REQUESTED),
            make_split(LineAction.BACKORDER, quantity="40", date=later, date_kind="ship"),
        ),
    )
    result = correlate_commitment(c, make_state(), make_terms(), NOW)
    ledger = result.ledger_updates[(PO, "1")]
    assert ledger.committed_quantity == Decimal(100)
    assert (ledger.committed_date, ledger.committed_date_kind) == (later, "ship")
    (case,) = result.exceptions_to_open
    assert case.type is T.DATE_LATE
    assert case.actual == f"{later.isoformat()} (ship)"
    assert "ship date" in case.message


def test_the_splits_are_kept_in_the_ledger_in_the_lines_unit() -> None:
    later = REQUESTED + dt.timedelta(days=21)
    terms = make_terms(units=(UnitConversion(from_unit="CA", to_unit="EA", factor=Decimal(12)),))
    state = make_state(make_line(quantity="120"))
    c = make_commitment(
        status=CommitmentStatus.ACCEPTED_WITH_CHANGES,
        schedule=(
            make_split(quantity="5", unit="CA", date=REQUESTED),
            make_split(LineAction.BACKORDER, quantity="60", unit="EA", date=later, date_kind="ship"),
            make_split(LineAction.REJECT, quantity="1", unit="CA", date=later),
        ),
    )
    ledger = correlate_commitment(c, state, terms, NOW).ledger_updates[(PO, "1")]
    assert ledger.committed_schedule == (
        ScheduleLine(quantity=Decimal(60), unit="EA", date=REQUESTED),
        ScheduleLine(quantity=Decimal(60), unit="EA", date=later, date_kind="ship"),
    )
    assert (ledger.committed_quantity, ledger.committed_date) == (Decimal(120), later)


def test_splits_are_kept_when_the_commitment_also_states_its_quantity() -> None:
    later = REQUESTED + dt.timedelta(days=21)
    c = make_commitment(
        status=CommitmentStatus.ACCEPTED_WITH_CHANGES,
        quantity="100",
        schedule=(
            make_split(quantity="60", date=REQUESTED),
            make_split(LineAction.BACKORDER, quantity="40", date=later),
        ),
    )
    ledger = correlate_commitment(c, make_state(), make_terms(), NOW).ledger_updates[(PO, "1")]
    assert [(s.quantity, s.date) for s in ledger.committed_schedule] == [
        (Decimal(60), REQUESTED),
        (Decimal(40), later),
    ]
    assert (ledger.committed_quantity, ledger.committed_date) == (Decimal(100), later)


def test_a_newer_commitment_without_splits_clears_the_schedule() -> None:
    split = make_commitment(
        status=CommitmentStatus.ACCEPTED_WITH_CHANGES,
        schedule=(make_split(quantity="60", date=REQUESTED), make_split(quantity="40", date=REQUESTED)),
    )
    first = correlate_commitment(split, make_state(), make_terms(), NOW).ledger_updates[(PO, "1")]
    state = make_state().with_ledgers({"1": first})
    whole = make_commitment(quantity="100", version=stamp(2))

    ledger = correlate_commitment(whole, state, make_terms(), NOW).ledger_updates[(PO, "1")]

    assert len(first.committed_schedule) == 2
    assert ledger.committed_schedule == ()


def test_a_ledger_stored_before_schedules_were_kept_still_loads() -> None:
    stored = make_state().ledger(make_line()).model_dump(mode="json")
    del stored["committed_schedule"]
    assert LineLedger.model_validate(stored).committed_schedule == ()


def test_rejected_splits_do_not_count() -> None:
    c = make_commitment(
        status=CommitmentStatus.ACCEPTED_WITH_CHANGES,
        schedule=(make_split(quantity="60"), make_split(LineAction.REJECT, quantity="40")),
    )
    result = correlate_commitment(c, make_state(), make_terms(), NOW)
    assert open_keys(result) == {(T.QUANTITY_SHORT, LINE1)}


def test_a_split_in_an_unconvertible_unit_is_reported() -> None:
    c = make_commitment(
        status=CommitmentStatus.ACCEPTED_WITH_CHANGES,
        schedule=(make_split(quantity="60"), make_split(quantity="1", unit="PL")),
    )
    result = correlate_commitment(c, make_state(), make_terms(), NOW)
    assert open_keys(result) == {(T.UNIT_NOT_CONVERTIBLE, LINE1)}
    assert result.ledger_updates[(PO, "1")].committed_quantity is None


def test_splits_without_quantity_leave_an_unaccepted_line_without_quantity() -> None:
    c = make_commitment(status=CommitmentStatus.BACKORDERED, schedule=(make_split(LineAction.BACKORDER),))
    assert (
        correlate_commitment(c, make_state(), make_terms(), NOW).ledger_updates[(PO, "1")].committed_quantity
        is None
    )


# ---------------------------------------------------------------- rejection


def test_rejected_status_opens_rejected_line() -> None:
    c = make_commitment(status=CommitmentStatus.REJECTED)
    result = correlate_commitment(c, make_state(), make_terms(), NOW)
    (case,) = result.exceptions_to_open
    assert (case.type, case.subject, case.actual) == (T.REJECTED_LINE, LINE1, "rejected")
    assert case.expected == "100 EA"
    assert result.ledger_updates[(PO, "1")].committed_quantity == Decimal(0)
    assert (T.QUANTITY_SHORT, LINE1) in result.exceptions_to_resolve


def test_every_split_rejecting_is_a_rejection() -> None:
    c = make_commitment(
        status=CommitmentStatus.ACCEPTED_WITH_CHANGES,
        schedule=(make_split(LineAction.REJECT), make_split(LineAction.DELETE)),
    )
    assert open_keys(correlate_commitment(c, make_state(), make_terms(), NOW)) == {(T.REJECTED_LINE, LINE1)}


# ---------------------------------------------------------------- quantity


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [
        ("94.99", {(T.QUANTITY_SHORT, LINE1)}),
        ("95", set()),
        ("105", set()),
        ("105.01", {(T.QUANTITY_OVER, LINE1)}),
    ],
)
def test_quantity_rules_at_the_tolerance_boundary(quantity: str, expected: set[tuple[T, str]]) -> None:
    c = make_commitment(quantity=quantity, unit="EA")
    result = correlate_commitment(c, make_state(), make_terms(quantity_pct="5"), NOW)
    assert open_keys(result) == expected


def test_short_case_reads_with_units() -> None:
    c = make_commitment(quantity="80", unit="EA")
    (case,) = correlate_commitment(c, make_state(), make_terms(), NOW).exceptions_to_open
    assert (case.expected, case.actual) == ("100 EA", "80 EA")
    assert case.owner is OWNERS[T.QUANTITY_SHORT]
    assert case.document_id == "doc-855-1"
    assert (case.po_number, case.line_number) == (PO, "1")


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize(("days", "late"), [(2, False), (3, True)])
def test_date_late_beyond_days_late(days: int, late: bool) -> None:
    c = make_commitment(committed_date=REQUESTED + dt.timedelta(days=days))
    result = correlate_commitment(c, make_state(), make_terms(days_late=2), NOW)
    assert ((T.DATE_LATE, LINE1) in open_keys(result)) is late
    assert ((T.DATE_LATE, LINE1) in result.exceptions_to_resolve) is not late


def test_early_date_beyond_days_early_is_only_a_note() -> None:
    c = make_commitment(committed_date=REQUESTED - dt.timedelta(days=5))
    result = correlate_commitment(c, make_state(), make_terms(days_early=4), NOW)
    assert result.exceptions_to_open == ()
    assert "5 day(s) before" in result.notes[0]


def test_line_without_requested_date_uses_its_latest_schedule_date() -> None:
    line = PurchaseOrderLine(
        line_number="1",
        buyer_item="BOLT-10",
        quantity=Decimal(100),
        unit="EA",
        schedule=(
            ScheduleLine(quantity=Decimal(50), unit="EA", date=dt.date(2026, 4, 1)),
            ScheduleLine(quantity=Decimal(50), unit="EA", date=dt.date(2026, 4, 15)),
            ScheduleLine(quantity=Decimal(0), unit="EA"),
        ),
    )
    c = make_commitment(committed_date=dt.date(2026, 4, 16))
    assert open_keys(correlate_commitment(c, make_state(line), make_terms(), NOW)) == {(T.DATE_LATE, LINE1)}


def test_no_requested_date_means_no_date_rule() -> None:
    line = make_line(requested_date=None)
    c = make_commitment(committed_date=dt.date(2030, 1, 1))
    assert correlate_commitment(c, make_state(line), make_terms(), NOW).exceptions_to_open == ()


# ---------------------------------------------------------------- price


@pytest.mark.parametrize(
    ("price", "mismatch"), [("2.55", False), ("2.45", False), ("2.56", True), ("2.44", True)]
)
def test_price_mismatch_beyond_price_pct(price: str, mismatch: bool) -> None:
    c = make_commitment(unit_price=price)
    result = correlate_commitment(c, make_state(), make_terms(price_pct="2"), NOW)
    assert ((T.PRICE_MISMATCH, LINE1) in open_keys(result)) is mismatch


def test_price_case_reads_with_currency_and_unit() -> None:
    c = make_commitment(unit_price="3")
    (case,) = correlate_commitment(c, make_state(), make_terms(), NOW).exceptions_to_open
    assert (case.expected, case.actual) == ("2.50 USD/EA", "3.00 USD/EA")


def test_price_in_another_currency_is_a_mismatch() -> None:
    c = make_commitment(unit_price="2.50", currency="EUR")
    (case,) = correlate_commitment(c, make_state(), make_terms(), NOW).exceptions_to_open
    assert case.type is T.PRICE_MISMATCH
    assert case.actual == "2.50 EUR/EA"


def test_line_without_price_has_no_price_rule() -> None:
    c = make_commitment(unit_price="99")
    assert (
        correlate_commitment(c, make_state(make_line(unit_price=None)), make_terms(), NOW).exceptions_to_open
        == ()
    )


# ---------------------------------------------------------------- cancelled lines


def test_commitment_to_a_cancelled_line_is_recorded_with_a_note() -> None:
    c = make_commitment(quantity="1", unit="EA")
    result = correlate_commitment(c, make_state(make_line(cancelled=True)), make_terms(), NOW)
    assert result.exceptions_to_open == ()
    assert "cancelled line" in result.notes[0]
    assert result.ledger_updates[(PO, "1")].committed_quantity == Decimal(1)


# ---------------------------------------------------------------- header level


def test_header_acceptance_commits_every_open_line_as_ordered() -> None:
    state = make_state(make_line("1"), make_line("2", quantity="7"), make_line("3", cancelled=True))
    result = correlate_commitment(make_commitment(None), state, make_terms(), NOW)
    assert result.exceptions_to_open == ()
    assert set(result.ledger_updates) == {(PO, "1"), (PO, "2")}
    two = result.ledger_updates[(PO, "2")]
    assert (two.committed_quantity, two.commitment_scope) == (Decimal(7), CommitmentScope.HEADER)


def test_header_rejection_rejects_every_open_line() -> None:
    state = make_state(make_line("1"), make_line("2"))
    c = make_commitment(None, status=CommitmentStatus.REJECTED)
    result = correlate_commitment(c, state, make_terms(), NOW)
    assert open_keys(result) == {(T.REJECTED_LINE, LINE1), (T.REJECTED_LINE, f"po:{PO}:line:2")}


def test_header_backorder_is_recorded_without_rules() -> None:
    c = make_commitment(None, status=CommitmentStatus.BACKORDERED)
    result = correlate_commitment(c, make_state(), make_terms(), NOW)
    assert result.exceptions_to_open == ()
    ledger = result.ledger_updates[(PO, "1")]
    assert (ledger.ack_status, ledger.committed_quantity) == (CommitmentStatus.BACKORDERED, None)


def test_header_commitment_on_a_fully_cancelled_po_changes_nothing() -> None:
    result = correlate_commitment(
        make_commitment(None), make_state(make_line(cancelled=True)), make_terms(), NOW
    )
    assert (result.ledger_updates, result.stale) == ({}, False)
    assert "every line is cancelled" in result.notes[0]


def test_line_commitment_of_the_same_document_overrides_the_header() -> None:
    state = make_state(make_line("1"), make_line("2"))
    header = make_commitment(None, status=CommitmentStatus.ACCEPTED_WITH_CHANGES, version=stamp(5))
    state = applied(state, correlate_commitment(header, state, make_terms(), NOW))
    line = make_commitment("2", quantity="50", unit="EA", version=stamp(5))
    result = correlate_commitment(line, state, make_terms(), NOW)
    assert open_keys(result) == {(T.QUANTITY_SHORT, f"po:{PO}:line:2")}
    # ... and the header arriving after the line of the same document changes nothing
    state = applied(state, result)
    again = correlate_commitment(header, state, make_terms(), NOW)
    assert again.stale
    assert again.exceptions_to_open == ()
    assert again.ledger_updates == {}


# ---------------------------------------------------------------- newer wins


def test_older_commitment_is_stale_and_opens_a_low_stale_update() -> None:
    state = applied(
        make_state(), correlate_commitment(make_commitment(version=stamp(2)), make_state(), make_terms(), NOW)
    )
    old = make_commitment(quantity="1", unit="EA", version=stamp(1), document_id="doc-old")
    result = correlate_commitment(old, state, make_terms(), NOW)
    assert result.stale
    assert result.ledger_updates == {}
    (case,) = result.exceptions_to_open
    assert (case.type, case.subject, case.severity) == (T.STALE_UPDATE, "document:doc-old", Severity.LOW)
    assert case.owner is OWNERS[T.STALE_UPDATE]


def test_same_commitment_twice_is_a_silent_duplicate() -> None:
    c = make_commitment(quantity="80", unit="EA")
    state = applied(make_state(), correlate_commitment(c, make_state(), make_terms(), NOW))
    result = correlate_commitment(c, state, make_terms(), NOW)
    assert (result.stale, result.exceptions_to_open, result.ledger_updates) == (True, (), {})
    assert "already applied" in result.notes[0]


def test_older_header_commitment_is_stale() -> None:
    state = applied(
        make_state(), correlate_commitment(make_commitment(version=stamp(2)), make_state(), make_terms(), NOW)
    )
    result = correlate_commitment(make_commitment(None, version=stamp(1)), state, make_terms(), NOW)
    assert result.stale
    assert open_keys(result) == {(T.STALE_UPDATE, "document:doc-855-1")}


def test_newer_commitment_fixing_the_date_resolves_date_late() -> None:
    late = make_commitment(committed_date=REQUESTED + dt.timedelta(days=9), version=stamp(1))
    first = correlate_commitment(late, make_state(), make_terms(), NOW)
    assert open_keys(first) == {(T.DATE_LATE, LINE1)}
    fixed = make_commitment(committed_date=REQUESTED, version=stamp(2))
    second = correlate_commitment(fixed, applied(make_state(), first), make_terms(), NOW)
    assert second.exceptions_to_open == ()
    assert (T.DATE_LATE, LINE1) in second.exceptions_to_resolve


def test_revised_po_quantity_is_what_a_new_commitment_is_compared_with() -> None:
    state = applied(
        make_state(), correlate_commitment(make_commitment(version=stamp(1)), make_state(), make_terms(), NOW)
    )
    revised = state.model_copy(update={"po": make_state(make_line(quantity="80")).po})
    result = correlate_commitment(
        make_commitment(quantity="80", unit="EA", version=stamp(2)), revised, make_terms(), NOW
    )
    assert result.exceptions_to_open == ()
    assert result.ledger_updates[(PO, "1")].ordered_quantity == Decimal(80)


# ---------------------------------------------------------------- caller bugs


def test_naive_now_is_a_caller_bug() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        correlate_commitment(make_commitment(), make_state(), make_terms(), dt.datetime(2026, 1, 1))


def test_terms_of_another_partner_are_a_caller_bug() -> None:
    with pytest.raises(ValueError, match="globex"):
        correlate_commitment(make_commitment(), make_state(), make_terms(partner_id="globex"), NOW)


def test_header_commitment_skips_lines_that_hold_a_newer_commitment() -> None:
    state = make_state(make_line("1"), make_line("2"))
    newer = make_commitment("1", quantity="50", unit="EA", version=stamp(3))
    state = applied(state, correlate_commitment(newer, state, make_terms(), NOW))
    result = correlate_commitment(make_commitment(None, version=stamp(2)), state, make_terms(), NOW)
    assert not result.stale
    assert set(result.ledger_updates) == {(PO, "2")}
    assert "line 1: keeps its newer commitment" in result.notes[0]
