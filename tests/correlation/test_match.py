from __future__ import annotations

from gateway.correlation.items import Fit, ItemCatalog, ItemIds
from gateway.correlation.match import MatchedBy, MatchOutcome, match_line
from gateway.partners.model import ItemXref
from tests.correlation.builders import make_line, make_purchase_order

XREF = ItemCatalog([ItemXref(buyer_item="BOLT-10", supplier_item="S-BOLT", upc="0001")])
PO = make_purchase_order(
    make_line("1", buyer_item="BOLT-10"),
    make_line("2", buyer_item="NUT-5", supplier_item="S-NUT"),
    make_line("3", buyer_item="WASHER", cancelled=True),
)


def test_no_po_is_unknown_po() -> None:
    assert match_line(None, "1", ItemIds(), XREF).outcome is MatchOutcome.UNKNOWN_PO


def test_line_number_alone_matches() -> None:
    m = match_line(PO, "2", ItemIds(), XREF)
    assert m.outcome is MatchOutcome.MATCHED
    assert m.line is not None
    assert m.line.line_number == "2"
    assert m.matched_by is MatchedBy.LINE_NUMBER


def test_line_number_with_the_right_supplier_item_through_the_xref_matches() -> None:
    assert match_line(PO, "1", ItemIds(supplier_item="S-BOLT"), XREF).outcome is MatchOutcome.MATCHED


def test_line_number_with_another_buyer_item_is_item_mismatch() -> None:
    m = match_line(PO, "1", ItemIds(buyer_item="NUT-5"), XREF)
    assert m.outcome is MatchOutcome.ITEM_MISMATCH
    assert m.line is not None
    assert m.line.line_number == "1"


def test_supplier_item_of_another_line_is_item_mismatch() -> None:
    assert match_line(PO, "1", ItemIds(supplier_item="S-NUT"), XREF).outcome is MatchOutcome.ITEM_MISMATCH


def test_unresolvable_supplier_item_does_not_contradict_a_line_without_one() -> None:
    assert match_line(PO, "1", ItemIds(supplier_item="NEVER-SEEN"), XREF).outcome is MatchOutcome.MATCHED


def test_unknown_line_number_falls_back_to_a_unique_item() -> None:
    m = match_line(PO, "99", ItemIds(upc="0001"), XREF)
    assert m.outcome is MatchOutcome.MATCHED
    assert m.matched_by is MatchedBy.ITEM
    assert m.line is not None
    assert m.line.line_number == "1"


def test_missing_line_number_falls_back_to_the_line_supplier_item() -> None:
    m = match_line(PO, None, ItemIds(supplier_item="S-NUT"), XREF)
    assert m.line is not None
    assert m.line.line_number == "2"


def test_fallback_ignores_cancelled_lines() -> None:
    m = match_line(PO, None, ItemIds(buyer_item="WASHER"), XREF)
    assert m.outcome is MatchOutcome.UNKNOWN_LINE
    assert m.candidates == 0


def test_fallback_with_two_open_lines_of_the_item_is_unknown_line() -> None:
    po = make_purchase_order(make_line("1"), make_line("2"))
    m = match_line(po, None, ItemIds(buyer_item="BOLT-10"), XREF)
    assert m.outcome is MatchOutcome.UNKNOWN_LINE
    assert m.candidates == 2


def test_no_line_number_and_no_item_is_unknown_line() -> None:
    assert match_line(PO, None, ItemIds(), XREF).outcome is MatchOutcome.UNKNOWN_LINE


def test_unknown_line_number_without_item_is_unknown_line() -> None:
    assert match_line(PO, "99", ItemIds(), XREF).outcome is MatchOutcome.UNKNOWN_LINE


def test_line_number_matches_a_cancelled_line() -> None:
    assert match_line(PO, "3", ItemIds(), XREF).outcome is MatchOutcome.MATCHED


def test_one_contradiction_outweighs_a_match() -> None:
    line = make_line("1", buyer_item="BOLT-10")
    assert XREF.fit(ItemIds(buyer_item="BOLT-10", upc="0001"), line) is Fit.MATCHES
    other_upc = ItemCatalog([ItemXref(buyer_item="NUT-5", supplier_item="S-NUT", upc="0002")])
    assert other_upc.fit(ItemIds(buyer_item="BOLT-10", upc="0002"), line) is Fit.CONTRADICTS
    assert XREF.fit(ItemIds(upc="9999"), line) is Fit.UNKNOWN


def test_item_ids_describe_what_was_given() -> None:
    assert ItemIds().describe() == "no item"
    assert ItemIds(buyer_item="A", upc="1").describe() == "buyer item A, UPC 1"
