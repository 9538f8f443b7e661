"""Property tests: newer wins and nothing counts twice, whatever order documents arrive in."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.canonical.exceptions import ExceptionType
from gateway.canonical.models import Commitment, CommitmentStatus, Shipment, ShipmentPurpose
from gateway.correlation.engine import correlate_commitment, correlate_shipment
from gateway.correlation.ledger import PurchaseOrderState
from tests.correlation.builders import (
    NOW,
    PO,
    REQUESTED,
    applied,
    apply_cases,
    make_commitment,
    make_line,
    make_shipment,
    make_shipment_line,
    make_state,
    make_terms,
    stamp,
)

LINES = ("1", "2")
ORDERED = Decimal(60)
TERMS = make_terms()
T = ExceptionType


def base_state() -> PurchaseOrderState:
    return make_state(*(make_line(n, quantity=str(ORDERED)) for n in LINES))


# ---------------------------------------------------------------- shipments

# One version of one shipment id: its sequence, purpose and quantity per line (absent = not on it).
version_strategy = st.tuples(
    st.integers(min_value=1, max_value=4),
    st.sampled_from(list(ShipmentPurpose)),
    st.dictionaries(st.sampled_from(LINES), st.integers(min_value=0, max_value=50), min_size=1),
)
# Each shipment id maps sequence -> (purpose, quantities): a sequence names exactly one version.
universe_strategy = st.dictionaries(
    st.sampled_from(("SH-A", "SH-B", "SH-C")),
    st.lists(version_strategy, min_size=1, max_size=4).map(lambda vs: {seq: (p, q) for seq, p, q in vs}),
    min_size=1,
)


def build(sid: str, seq: int, purpose: ShipmentPurpose, quantities: dict[str, int]) -> Shipment:
    lines = tuple(make_shipment_line(n, quantity=str(q)) for n, q in sorted(quantities.items()))
    return make_shipment(*lines, shipment_id=sid, purpose=purpose, version=stamp(seq))


@st.composite
def shipment_sequences(draw: st.DrawFn) -> list[Shipment]:
    universe = draw(universe_strategy)
    versions = [build(sid, seq, p, q) for sid, vs in universe.items() for seq, (p, q) in vs.items()]
    # Every version at least once, some several times, in any order.
    repeats = draw(st.lists(st.sampled_from(versions), max_size=8))
    return draw(st.permutations(versions + repeats))


def run_shipments(
    state: PurchaseOrderState, shipments: list[Shipment], open_cases: set[tuple[T, str]]
) -> PurchaseOrderState:
    for s in shipments:
        result = correlate_shipment(s, {PO: state}, TERMS, NOW)
        apply_cases(open_cases, result)
        state = applied(state, result)
    return state


def expected_totals(shipments: list[Shipment]) -> dict[str, Decimal]:
    newest: dict[str, Shipment] = {}
    for s in shipments:
        if s.shipment_id not in newest or s.version.is_newer_than(newest[s.shipment_id].version):
            newest[s.shipment_id] = s
    totals = dict.fromkeys(LINES, Decimal(0))
    for s in newest.values():
        if s.purpose is not ShipmentPurpose.DELETE:
            for line in s.lines:
                assert line.line_number is not None
                totals[line.line_number] += line.quantity
    return totals


def totals_of(state: PurchaseOrderState) -> dict[str, Decimal]:
    return {n: (state.ledgers[n].shipped_total if n in state.ledgers else Decimal(0)) for n in LINES}


@settings(max_examples=200, deadline=None)
@given(shipment_sequences())
def test_shipped_total_is_the_newest_version_per_shipment_id_in_any_order(shipments: list[Shipment]) -> None:
    open_cases: set[tuple[T, str]] = set()
    state = run_shipments(base_state(), shipments, open_cases)
    totals = totals_of(state)
    assert totals == expected_totals(shipments)
    # The open cases describe the final ledgers, however the versions arrived.
    for n in LINES:
        subject = f"po:{PO}:line:{n}"
        assert ((T.OVER_SHIPMENT, subject) in open_cases) is (totals[n] > ORDERED)
        assert ((T.SHIPMENT_WITHOUT_COMMITMENT, subject) in open_cases) is (totals[n] > 0)


@settings(max_examples=100, deadline=None)
@given(shipment_sequences())
def test_processing_everything_again_changes_nothing(shipments: list[Shipment]) -> None:
    state = run_shipments(base_state(), shipments, set())
    for s in shipments:
        again = correlate_shipment(s, {PO: state}, TERMS, NOW)
        assert again.stale
        assert again.ledger_updates == {}
    assert run_shipments(state, shipments, set()) == state


@settings(max_examples=100, deadline=None)
@given(shipment_sequences())
def test_the_same_shipment_twice_in_a_row_gives_identical_ledgers(shipments: list[Shipment]) -> None:
    once = run_shipments(base_state(), shipments, set())
    twice = run_shipments(base_state(), [s for s in shipments for _ in range(2)], set())
    assert once == twice


# ---------------------------------------------------------------- commitments

commitment_strategy = st.builds(
    lambda seq, status, qty, days: make_commitment(
        "1",
        status=status,
        quantity=str(qty),
        unit="EA",
        committed_date=REQUESTED + dt.timedelta(days=days),
        version=stamp(seq),
        document_id=f"doc-{seq}",
    ),
    st.integers(min_value=0, max_value=1000),
    st.sampled_from(
        [CommitmentStatus.ACCEPTED, CommitmentStatus.ACCEPTED_WITH_CHANGES, CommitmentStatus.REJECTED]
    ),
    st.integers(min_value=0, max_value=120),
    st.integers(min_value=-5, max_value=5),
)


def run_commitments(commitments: list[Commitment], open_cases: set[tuple[T, str]]) -> PurchaseOrderState:
    state = base_state()
    for c in commitments:
        result = correlate_commitment(c, state, TERMS, NOW)
        apply_cases(open_cases, result)
        state = applied(state, result)
    return state


@settings(max_examples=200, deadline=None)
@given(
    st.lists(commitment_strategy, min_size=1, max_size=6, unique_by=lambda c: c.version.sequence).flatmap(
        st.permutations
    )
)
def test_the_newest_commitment_wins_in_any_order(commitments: list[Commitment]) -> None:
    newest = max(commitments, key=lambda c: c.version.key())
    all_cases: set[tuple[T, str]] = set()
    only_cases: set[tuple[T, str]] = set()
    everything = run_commitments(commitments, all_cases)
    only_newest = run_commitments([newest], only_cases)
    assert everything.ledgers == only_newest.ledgers
    line_cases = {k for k in all_cases if k[1].startswith("po:")}
    assert line_cases == only_cases
