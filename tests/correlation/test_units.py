from __future__ import annotations

from decimal import Decimal

from gateway.correlation.units import UnitConverter
from gateway.partners.model import UnitConversion

CASE_OF_12 = UnitConversion(from_unit="CA", to_unit="EA", factor=Decimal(12))


def test_converts_cases_of_twelve_to_each() -> None:
    assert UnitConverter([CASE_OF_12]).convert(Decimal(5), "CA", "EA") == Decimal(60)


def test_converts_each_back_to_cases_through_the_inverse() -> None:
    assert UnitConverter([CASE_OF_12]).convert(Decimal(24), "EA", "CA") == Decimal(2)


def test_identity_needs_no_conversion_and_ignores_case() -> None:
    assert UnitConverter().convert(Decimal(7), "ea", "EA ") == Decimal(7)


def test_unknown_conversion_is_none() -> None:
    conv = UnitConverter([CASE_OF_12])
    assert conv.convert(Decimal(1), "PL", "EA") is None
    assert conv.convert_price(Decimal(1), "PL", "EA") is None


def test_conversions_do_not_chain() -> None:
    pallet = UnitConversion(from_unit="PL", to_unit="CA", factor=Decimal(40))
    assert UnitConverter([pallet, CASE_OF_12]).convert(Decimal(1), "PL", "EA") is None


def test_item_specific_conversion_wins_over_the_general_one_in_both_directions() -> None:
    case_of_6 = UnitConversion(from_unit="CA", to_unit="EA", factor=Decimal(6), item="NUT-5")
    conv = UnitConverter([CASE_OF_12, case_of_6])
    assert conv.convert(Decimal(2), "CA", "EA", "NUT-5") == Decimal(12)
    assert conv.convert(Decimal(12), "EA", "CA", "NUT-5") == Decimal(2)
    assert conv.convert(Decimal(2), "CA", "EA", "BOLT-10") == Decimal(24)
    assert conv.convert(Decimal(2), "CA", "EA") == Decimal(24)


def test_item_specific_conversion_does_not_apply_to_other_items() -> None:
    case_of_6 = UnitConversion(from_unit="CA", to_unit="EA", factor=Decimal(6), item="NUT-5")
    assert UnitConverter([case_of_6]).convert(Decimal(1), "CA", "EA", "BOLT-10") is None


def test_price_per_case_becomes_exact_price_per_each() -> None:
    conv = UnitConverter([CASE_OF_12])
    assert conv.convert_price(Decimal(120), "CA", "EA") == Decimal(10)
    assert conv.convert_price(Decimal(10), "EA", "CA") == Decimal(120)


def test_first_conversion_for_a_key_wins() -> None:
    other = UnitConversion(from_unit="CA", to_unit="EA", factor=Decimal(10))
    assert UnitConverter([CASE_OF_12, other]).convert(Decimal(1), "CA", "EA") == Decimal(12)
