from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from gateway.correlation.tolerances import Outcome, check_amount, check_date, check_price, check_quantity


@pytest.mark.parametrize(
    ("actual", "outcome"),
    [
        ("94.99", Outcome.BELOW),
        ("95", Outcome.WITHIN),
        ("100", Outcome.WITHIN),
        ("105", Outcome.WITHIN),
        ("105.01", Outcome.ABOVE),
    ],
)
def test_quantity_boundary_belongs_to_the_tolerance(actual: str, outcome: Outcome) -> None:
    assert check_quantity(Decimal(100), Decimal(actual), Decimal(5)).outcome is outcome


def test_zero_tolerance_means_exact() -> None:
    assert check_quantity(Decimal(100), Decimal(100), Decimal(0)).within
    assert check_quantity(Decimal(100), Decimal("99.999"), Decimal(0)).outcome is Outcome.BELOW


def test_deviation_is_signed_percent() -> None:
    assert check_price(Decimal(10), Decimal(11), Decimal(0)).deviation_pct == Decimal(10)
    assert check_price(Decimal(10), Decimal(9), Decimal(0)).deviation_pct == Decimal(-10)


def test_expected_zero_has_no_percentage_and_anything_positive_is_above() -> None:
    verdict = check_amount(Decimal(0), Decimal(1), Decimal(50))
    assert verdict.outcome is Outcome.ABOVE
    assert verdict.deviation_pct is None
    assert check_amount(Decimal(0), Decimal(0), Decimal(50)).within


def test_negative_tolerance_counts_as_zero() -> None:
    assert check_amount(Decimal(100), Decimal(101), Decimal(-5)).outcome is Outcome.ABOVE


@pytest.mark.parametrize(
    ("days", "outcome"),
    [(-3, Outcome.BELOW), (-2, Outcome.WITHIN), (0, Outcome.WITHIN), (3, Outcome.WITHIN), (4, Outcome.ABOVE)],
)
def test_date_boundaries_early_and_late(days: int, outcome: Outcome) -> None:
    requested = dt.date(2026, 4, 1)
    verdict = check_date(requested, requested + dt.timedelta(days=days), days_early=2, days_late=3)
    assert verdict.outcome is outcome
    assert verdict.days == days
    assert verdict.within is (outcome is Outcome.WITHIN)
