"""Pegging: supply allocated to production demand, and the production-at-risk cases it yields."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from gateway.canonical.exceptions import ExceptionType, OwnerRole, Severity
from gateway.canonical.models import CommitmentStatus, ScheduleLine
from gateway.correlation.ledger import LineLedger
from gateway.correlation.pegging import (
    Requirement,
    Supply,
    SupplyKind,
    allocate,
    peg,
    purchase_line_supplies,
)
from gateway.correlation.units import UnitConverter
from gateway.partners.model import UnitConversion
from tests.correlation.builders import NOW, make_line, stamp

D = dt.date(2026, 4, 10)
PO = "4500001"


def day(offset: int) -> dt.date:
    return D + dt.timedelta(days=offset)


def po_supply(quantity: str, offset: int | None, line: str = "1", shortfall: str = "0") -> Supply:
    return Supply(
        kind=SupplyKind.PURCHASE_ORDER,
        quantity=Decimal(quantity),
        available_on=day(offset) if offset is not None else None,
        partner_id="acme",
        po_number=PO,
        line_number=line,
        shortfall=Decimal(shortfall),
    )


def need(order_id: str, quantity: str, offset: int = 0) -> Requirement:
    return Requirement(order_id=order_id, quantity=Decimal(quantity), need_date=day(offset))


# ---------------------------------------------------------------- allocation


def test_on_hand_is_taken_before_any_dated_supply() -> None:
    on_hand = Supply(kind=SupplyKind.ON_HAND, quantity=Decimal(30))
    (cov,) = allocate([need("MO-1", "50")], [po_supply("100", -5), on_hand])
    assert [a.supply.kind for a in cov.allocations] == [SupplyKind.ON_HAND, SupplyKind.PURCHASE_ORDER]
    assert [a.quantity for a in cov.allocations] == [Decimal(30), Decimal(20)]
    assert not cov.at_risk


def test_earlier_shipment_in_transit_serves_the_earlier_need_before_a_later_po_line() -> None:
    transit = Supply(
        kind=SupplyKind.IN_TRANSIT, quantity=Decimal(60), available_on=day(-2), po_number=PO, line_number="1"
    )
    covs = allocate([need("MO-1", "60"), need("MO-2", "40", 10)], [po_supply("40", 4), transit])
    assert [c.at_risk for c in covs] == [False, False]


def test_requirement_covered_late_reports_the_days_late_and_the_supply_date() -> None:
    (cov,) = allocate([need("MO-1", "100")], [po_supply("100", 3)])
    assert (cov.short, cov.supply_date, cov.days_late, cov.at_risk) == (Decimal(0), day(3), 3, True)


def test_undated_supply_puts_the_requirement_at_risk() -> None:
    (cov,) = allocate([need("MO-1", "10")], [po_supply("10", None)])
    assert cov.undated
    assert cov.at_risk
    assert cov.days_late == 0


def test_no_supply_leaves_the_whole_requirement_short() -> None:
    (cov,) = allocate([need("MO-1", "10")], [])
    assert cov.short == Decimal(10)
    assert cov.supply_date is None


# ---------------------------------------------------------------- cases


def test_late_supply_opens_production_at_risk_naming_order_component_dates_and_po_line() -> None:
    result = peg("BOLT-10", "P100", "EA", [need("MO-1", "100")], [po_supply("100", 3)], NOW)
    (case,) = result.cases
    assert case.type is ExceptionType.PRODUCTION_AT_RISK
    assert case.owner is OwnerRole.PLANNER
    assert case.severity is Severity.HIGH
    assert case.subject == "production:MO-1:item:BOLT-10"
    assert case.impacted_production_orders == ("MO-1",)
    assert (case.partner_id, case.po_number, case.line_number) == ("acme", PO, "1")
    assert case.details == {
        "production_order": "MO-1",
        "item": "BOLT-10",
        "plant": "P100",
        "unit": "EA",
        "need_date": "2026-04-10",
        "expected_supply_date": "2026-04-13",
        "quantity_needed": "100",
        "quantity_short": "0",
        "days_late": "3",
        "po_lines": f"{PO}/1",
    }
    assert "3 day(s) late" in case.message


def test_short_supply_names_the_rejected_line_with_no_quantity_left() -> None:
    rejected = po_supply("0", 0, line="2", shortfall="150")
    result = peg("PSU", "P100", "EA", [need("MO-1", "150")], [rejected], NOW)
    (case,) = result.cases
    assert case.severity is Severity.CRITICAL
    assert (case.details["quantity_short"], case.details["po_lines"]) == ("150", f"{PO}/2")
    assert case.details["expected_supply_date"] == ""


def test_requirement_covered_in_time_opens_nothing() -> None:
    result = peg("BOLT-10", "P100", "EA", [need("MO-1", "100")], [po_supply("100", 0)], NOW)
    assert result.cases == ()
    assert result.at_risk_subjects == frozenset()


def test_one_case_per_order_and_item_even_with_two_requirements() -> None:
    result = peg(
        "BOLT-10", "P100", "EA", [need("MO-1", "10"), need("MO-1", "10", 1)], [po_supply("5", 0)], NOW
    )
    (case,) = result.cases
    assert case.details["quantity_short"] == "15"
    assert case.details["quantity_needed"] == "20"


# ---------------------------------------------------------------- supply from a ledger

CONVERTER = UnitConverter([UnitConversion(from_unit="CA", to_unit="EA", factor=Decimal(12))])


def ledger(**update: object) -> LineLedger:
    base = LineLedger.for_line(PO, make_line(quantity="100", unit="EA", requested_date=D))
    return base.model_copy(update=update)


def test_unconfirmed_line_supplies_its_ordered_quantity_on_the_requested_date() -> None:
    (supply,) = (
        purchase_line_supplies(
            "acme", PO, make_line(requested_date=D), None, unit="EA", converter=CONVERTER, arrivals={}
        )
        or ()
    )
    assert (supply.quantity, supply.available_on, supply.shortfall) == (Decimal(100), D, Decimal(0))


def test_committed_line_supplies_the_unshipped_rest_and_each_shipment_in_transit() -> None:
    led = ledger(
        ack_status=CommitmentStatus.ACCEPTED,
        committed_quantity=Decimal(80),
        committed_date=day(5),
        commitment_version=stamp(1),
        shipped={"S1": Decimal(30), "S2": Decimal(20)},
        received_quantity=Decimal(25),
    )
    supplies = purchase_line_supplies(
        "acme", PO, make_line(), led, unit="EA", converter=CONVERTER, arrivals={"S1": day(1), "S2": day(2)}
    )
    assert supplies is not None
    assert [(s.kind, s.quantity, s.available_on, s.shortfall) for s in supplies] == [
        (SupplyKind.PURCHASE_ORDER, Decimal(30), day(5), Decimal(20)),
        (SupplyKind.IN_TRANSIT, Decimal(5), day(1), Decimal(0)),
        (SupplyKind.IN_TRANSIT, Decimal(20), day(2), Decimal(0)),
    ]


def split_ledger(**update: object) -> LineLedger:
    """100 committed: 60 on the requested date D, 40 three weeks later."""
    schedule = (
        ScheduleLine(quantity=Decimal(60), unit="EA", date=D),
        ScheduleLine(quantity=Decimal(40), unit="EA", date=day(21)),
    )
    fields: dict[str, object] = {
        "ack_status": CommitmentStatus.ACCEPTED_WITH_CHANGES,
        "committed_quantity": Decimal(100),
        "committed_date": day(21),
        "committed_schedule": schedule,
        "commitment_version": stamp(1),
    }
    return ledger(**(fields | update))


def test_a_split_commitment_supplies_each_split_on_its_own_date() -> None:
    supplies = purchase_line_supplies(
        "acme", PO, make_line(), split_ledger(), unit="EA", converter=CONVERTER, arrivals={}
    )
    assert [(s.quantity, s.available_on) for s in supplies or ()] == [
        (Decimal(60), D),
        (Decimal(40), day(21)),
    ]


def test_splits_that_do_not_add_up_to_the_commitment_date_it_whole_by_its_latest_date() -> None:
    led = split_ledger(committed_quantity=Decimal(90))
    supplies = purchase_line_supplies(
        "acme", PO, make_line(), led, unit="EA", converter=CONVERTER, arrivals={}
    )
    assert [(s.quantity, s.available_on, s.shortfall) for s in supplies or ()] == [
        (Decimal(90), day(21), Decimal(10))
    ]


def test_shipped_quantities_count_against_the_earliest_splits_first() -> None:
    led = split_ledger(shipped={"S1": Decimal(70)})
    supplies = purchase_line_supplies(
        "acme", PO, make_line(), led, unit="CA", converter=CONVERTER, arrivals={"S1": day(1)}
    )
    assert [(s.kind, s.quantity, s.available_on) for s in supplies or ()] == [
        (SupplyKind.PURCHASE_ORDER, Decimal(30) / 12, day(21)),
        (SupplyKind.IN_TRANSIT, Decimal(70) / 12, day(1)),
    ]


def test_only_the_late_split_puts_the_production_order_at_risk() -> None:
    supplies = purchase_line_supplies(
        "acme", PO, make_line(), split_ledger(), unit="EA", converter=CONVERTER, arrivals={}
    )
    (cov,) = allocate([need("MO-1", "100", 2)], supplies or ())
    assert [(a.quantity, a.supply.available_on) for a in cov.allocations] == [
        (Decimal(60), D),
        (Decimal(40), day(21)),
    ]
    assert [(a.quantity, a.supply.available_on) for a in cov.late_allocations()] == [(Decimal(40), day(21))]
    assert (cov.short, cov.days_late) == (Decimal(0), 19)


def test_rejected_line_supplies_nothing_and_owes_everything() -> None:
    led = ledger(
        ack_status=CommitmentStatus.REJECTED, committed_quantity=Decimal(0), commitment_version=stamp(1)
    )
    (supply,) = (
        purchase_line_supplies("acme", PO, make_line(), led, unit="EA", converter=CONVERTER, arrivals={})
        or ()
    )
    assert (supply.quantity, supply.shortfall) == (Decimal(0), Decimal(100))


def test_line_in_cases_is_converted_to_the_requirement_unit_and_unknown_units_give_none() -> None:
    line = make_line(quantity="10", unit="CA")
    (supply,) = (
        purchase_line_supplies("acme", PO, line, None, unit="EA", converter=CONVERTER, arrivals={}) or ()
    )
    assert supply.quantity == Decimal(120)
    assert purchase_line_supplies("acme", PO, line, None, unit="KG", converter=CONVERTER, arrivals={}) is None


# ---------------------------------------------------------------- properties

quantities = st.integers(min_value=0, max_value=500).map(Decimal)
offsets = st.integers(min_value=-10, max_value=10)
supplies_st = st.lists(
    st.builds(
        lambda kind, q, o, n: Supply(
            kind=kind,
            quantity=q,
            available_on=day(o),
            po_number=PO,
            line_number=str(n),
        ),
        st.sampled_from(list(SupplyKind)),
        quantities,
        offsets,
        st.integers(min_value=1, max_value=5),
    ),
    max_size=8,
)
requirements_st = st.lists(
    st.builds(
        lambda n, q, o: Requirement(order_id=f"MO-{n}", quantity=q, need_date=day(o)),
        st.integers(min_value=1, max_value=6),
        quantities,
        offsets,
    ),
    max_size=8,
)


@given(requirements_st, supplies_st)
def test_never_allocates_more_than_a_supply_holds_nor_a_requirement_needs(
    reqs: list[Requirement], supplies: list[Supply]
) -> None:
    covs = allocate(reqs, supplies)
    used: dict[int, Decimal] = {}
    for cov in covs:
        assert cov.allocated <= max(Decimal(0), cov.requirement.quantity)
        for a in cov.allocations:
            assert a.quantity > 0
            used[id(a.supply)] = used.get(id(a.supply), Decimal(0)) + a.quantity
    by_id = {id(s): s for s in supplies}
    assert all(q <= by_id[sid].quantity for sid, q in used.items())


@given(requirements_st, supplies_st)
def test_total_allocated_is_the_smaller_of_total_supply_and_total_demand(
    reqs: list[Requirement], supplies: list[Supply]
) -> None:
    covs = allocate(reqs, supplies)
    supply = sum((s.quantity for s in supplies if s.quantity > 0), Decimal(0))
    demand = sum((r.quantity for r in reqs if r.quantity > 0), Decimal(0))
    assert sum((c.allocated for c in covs), Decimal(0)) == min(supply, demand)
    assert len(covs) == len(reqs)


@given(requirements_st, supplies_st)
def test_earlier_needs_are_served_first_and_with_supply_no_later_than_later_needs(
    reqs: list[Requirement], supplies: list[Supply]
) -> None:
    covs = allocate(reqs, supplies)
    assert [c.requirement.need_date for c in covs] == sorted(r.need_date for r in reqs)
    for earlier, later in itertools.pairwise(covs):
        if later.allocated > 0:
            assert earlier.short == 0  # a later need got supply only once the earlier was covered
        if earlier.allocations and later.allocations:
            assert earlier.allocations[-1].supply.sort_key() <= later.allocations[0].supply.sort_key()
