"""Matching a commitment or a shipment line to one PO line.

The PO number and line number decide first. When the line number is absent, or names no line on
the PO, the item decides instead: buyer item directly, or supplier item / UPC through the partner's
cross-reference, and only when exactly one open (not cancelled) line fits.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gateway.canonical.models import PurchaseOrder, PurchaseOrderLine
from gateway.correlation.items import Fit, ItemCatalog, ItemIds


class MatchOutcome(StrEnum):
    MATCHED = "matched"
    UNKNOWN_PO = "unknown_po"
    UNKNOWN_LINE = "unknown_line"
    ITEM_MISMATCH = "item_mismatch"


class MatchedBy(StrEnum):
    LINE_NUMBER = "line_number"
    ITEM = "item"


@dataclass(frozen=True)
class LineMatch:
    """The verdict. `line` is set for MATCHED and for ITEM_MISMATCH (the line the number named);
    `candidates` counts the open lines the item fitted when the item fallback was tried."""

    outcome: MatchOutcome
    line: PurchaseOrderLine | None = None
    matched_by: MatchedBy | None = None
    candidates: int = 0


def match_line(
    po: PurchaseOrder | None,
    line_number: str | None,
    ids: ItemIds,
    catalog: ItemCatalog,
) -> LineMatch:
    """Find the PO line an event talks about.

    Edge cases:
    - a line number found on the PO wins even when the line is cancelled (rules decide what a
      commitment to a cancelled line means); its item is checked only when the event gives one that
      can be resolved, so a bare line number matches;
    - supplier items the PO lines carry count as cross-references too;
    - a line number found on the PO whose item contradicts the event's is ITEM_MISMATCH, never a
      fallback to another line: the number was explicit, so a person must look;
    - a line number missing from the PO falls back to the item; if the item does not single out
      one open line the result is UNKNOWN_LINE (zero or several candidates).
    """
    if po is None:
        return LineMatch(MatchOutcome.UNKNOWN_PO)
    catalog = catalog.with_lines(po.lines)
    if line_number is not None:
        line = po.line(line_number)
        if line is not None:
            if catalog.fit(ids, line) is Fit.CONTRADICTS:
                return LineMatch(MatchOutcome.ITEM_MISMATCH, line=line)
            return LineMatch(MatchOutcome.MATCHED, line=line, matched_by=MatchedBy.LINE_NUMBER)
    if ids.empty:
        return LineMatch(MatchOutcome.UNKNOWN_LINE)
    fitting = [ln for ln in po.lines if not ln.cancelled and catalog.fit(ids, ln) is Fit.MATCHES]
    if len(fitting) == 1:
        return LineMatch(MatchOutcome.MATCHED, line=fitting[0], matched_by=MatchedBy.ITEM, candidates=1)
    return LineMatch(MatchOutcome.UNKNOWN_LINE, candidates=len(fitting))
