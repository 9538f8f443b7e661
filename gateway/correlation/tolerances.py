"""Tolerance checks: is a committed or shipped figure close enough to what was ordered?

Each check returns a verdict (never raises) so a rule can both decide and explain. The boundary
belongs to the tolerance: with `quantity_pct: 5`, 105 against 100 is within, 105.01 is over.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

_HUNDRED = Decimal(100)


class Outcome(StrEnum):
    """Where the actual figure falls: below the band (short, cheaper, early), in it, or above it."""

    BELOW = "below"
    WITHIN = "within"
    ABOVE = "above"


@dataclass(frozen=True)
class AmountVerdict:
    """A quantity or price compared with its expected value.

    `deviation_pct` is signed ((actual - expected) / expected * 100); None when `expected` is 0,
    where a percentage means nothing and any positive actual is above.
    """

    outcome: Outcome
    expected: Decimal
    actual: Decimal
    deviation_pct: Decimal | None

    @property
    def within(self) -> bool:
        return self.outcome is Outcome.WITHIN


@dataclass(frozen=True)
class DateVerdict:
    """A committed date compared with the requested one; `days` is signed (positive = late)."""

    outcome: Outcome
    expected: dt.date
    actual: dt.date
    days: int

    @property
    def within(self) -> bool:
        return self.outcome is Outcome.WITHIN


def check_amount(expected: Decimal, actual: Decimal, tolerance_pct: Decimal) -> AmountVerdict:
    """Compare `actual` with `expected` allowing `tolerance_pct` percent either way.

    Edge cases: an expected 0 makes the band [0, 0]; a negative tolerance is treated as 0.
    """
    band = abs(expected) * max(tolerance_pct, Decimal(0)) / _HUNDRED
    difference = actual - expected
    if difference > band:
        outcome = Outcome.ABOVE
    elif difference < -band:
        outcome = Outcome.BELOW
    else:
        outcome = Outcome.WITHIN
    pct = None if expected == 0 else difference * _HUNDRED / abs(expected)
    return AmountVerdict(outcome, expected, actual, pct)


def check_quantity(ordered: Decimal, actual: Decimal, tolerance_pct: Decimal) -> AmountVerdict:
    """Quantities in the same unit; BELOW is short, ABOVE is over."""
    return check_amount(ordered, actual, tolerance_pct)


def check_price(expected: Decimal, actual: Decimal, tolerance_pct: Decimal) -> AmountVerdict:
    """Unit prices per the same unit and in the same currency."""
    return check_amount(expected, actual, tolerance_pct)


def check_date(requested: dt.date, committed: dt.date, days_early: int, days_late: int) -> DateVerdict:
    """Late beyond `days_late` is ABOVE; early beyond `days_early` is BELOW.

    The caller decides what early means for the business (no exception type exists for it yet).
    """
    days = (committed - requested).days
    if days > days_late:
        outcome = Outcome.ABOVE
    elif -days > days_early:
        outcome = Outcome.BELOW
    else:
        outcome = Outcome.WITHIN
    return DateVerdict(outcome, requested, committed, days)
