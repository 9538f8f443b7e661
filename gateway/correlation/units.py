"""Unit conversion between what a supplier sends and what the PO line was ordered in.

Built from a partner's `units:` list (`1 from_unit = factor to_unit`). Besides each conversion as
written, the converter knows the identity and the inverse of every conversion. Conversions are one
hop: `PL -> CA` and `CA -> EA` do not make `PL -> EA` (write it in the partner file), because a
chain silently multiplies a typo.

Arithmetic is `Decimal` only. A ratio is kept as (numerator, denominator) so that an inverse
conversion divides once at the end instead of multiplying by a rounded reciprocal: 120 per CA is
exactly 10 per EA, not 9.99...96.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from gateway.partners.model import UnitConversion

_ONE = Decimal(1)


@dataclass(frozen=True)
class Ratio:
    """`quantity in to_unit = quantity in from_unit * numerator / denominator`."""

    numerator: Decimal
    denominator: Decimal

    def apply(self, quantity: Decimal) -> Decimal:
        return quantity * self.numerator / self.denominator

    def apply_to_price(self, price: Decimal) -> Decimal:
        """A price per from_unit expressed per to_unit (the inverse of `apply`)."""
        return price * self.denominator / self.numerator


def _norm(unit: str) -> str:
    return unit.strip().upper()


class UnitConverter:
    """Converts quantities and unit prices with one partner's conversions.

    Lookup order for `from -> to` (units compared case-insensitively, items exactly):
    identity; the item's own conversion as written; the item's own inverse; the general conversion
    as written; the general inverse. An item-specific case size therefore always beats the
    general one, in either direction.
    """

    def __init__(self, conversions: Iterable[UnitConversion] = ()) -> None:
        self._table: dict[tuple[str | None, str, str], Decimal] = {}
        for conv in conversions:
            # The first entry for a key wins; the partner schema is where duplicates get rejected.
            self._table.setdefault((conv.item, _norm(conv.from_unit), _norm(conv.to_unit)), conv.factor)

    def ratio(self, from_unit: str, to_unit: str, item: str | None = None) -> Ratio | None:
        """The ratio from `from_unit` to `to_unit`, or None when no conversion is known."""
        src, dst = _norm(from_unit), _norm(to_unit)
        if src == dst:
            return Ratio(_ONE, _ONE)
        scopes: tuple[str | None, ...] = (item, None) if item is not None else (None,)
        for scope in scopes:
            factor = self._table.get((scope, src, dst))
            if factor is not None:
                return Ratio(factor, _ONE)
            inverse = self._table.get((scope, dst, src))
            if inverse is not None:
                return Ratio(_ONE, inverse)
        return None

    def convert(
        self, quantity: Decimal, from_unit: str, to_unit: str, item: str | None = None
    ) -> Decimal | None:
        """`quantity` of `from_unit` in `to_unit`, or None when not convertible.

        An inverse conversion can give a non-terminating decimal (10 EA is 0.8333... CA); it is
        rounded to the decimal context's precision (28 digits), which tolerances absorb.
        """
        ratio = self.ratio(from_unit, to_unit, item)
        return None if ratio is None else ratio.apply(quantity)

    def convert_price(
        self, price: Decimal, from_unit: str, to_unit: str, item: str | None = None
    ) -> Decimal | None:
        """A unit price per `from_unit` expressed per `to_unit`, or None when not convertible."""
        ratio = self.ratio(from_unit, to_unit, item)
        return None if ratio is None else ratio.apply_to_price(price)
