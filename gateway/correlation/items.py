"""The partner's item cross-reference as an index: which buyer items a supplier item or UPC names.

Items are compared exactly as sent (the maps normalise case and padding). One supplier item may name
several buyer items (a supplier selling the same part under one number to several plants); the
index keeps all of them and lets matching decide.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from gateway.canonical.models import PurchaseOrderLine
from gateway.partners.model import ItemXref


@dataclass(frozen=True)
class ItemIds:
    """The item identifiers an event gives for one line; any of them may be missing."""

    buyer_item: str | None = None
    supplier_item: str | None = None
    upc: str | None = None

    @property
    def empty(self) -> bool:
        return self.buyer_item is None and self.supplier_item is None and self.upc is None

    def describe(self) -> str:
        parts = [
            f"{label} {value}"
            for label, value in (
                ("buyer item", self.buyer_item),
                ("supplier item", self.supplier_item),
                ("UPC", self.upc),
            )
            if value is not None
        ]
        return ", ".join(parts) if parts else "no item"


class Fit(StrEnum):
    """How an event's item identifiers fit one PO line."""

    MATCHES = "matches"  # at least one identifier names the line's item, none names another
    CONTRADICTS = "contradicts"  # an identifier names a different item
    UNKNOWN = "unknown"  # nothing given, or nothing that can be resolved either way


class ItemCatalog:
    """Index over a partner's `items:` cross-reference."""

    def __init__(self, xrefs: Iterable[ItemXref] = ()) -> None:
        self._by_supplier: dict[str, set[str]] = {}
        self._by_upc: dict[str, set[str]] = {}
        for x in xrefs:
            self._by_supplier.setdefault(x.supplier_item, set()).add(x.buyer_item)
            if x.upc is not None:
                self._by_upc.setdefault(x.upc, set()).add(x.buyer_item)

    def with_lines(self, lines: Iterable[PurchaseOrderLine]) -> ItemCatalog:
        """This catalog plus the supplier items the PO lines themselves name, so a supplier item
        that the PO gives for one line contradicts the others even when the partner file lacks it."""
        extended = ItemCatalog()
        extended._by_supplier = {k: set(v) for k, v in self._by_supplier.items()}
        extended._by_upc = self._by_upc
        for line in lines:
            if line.supplier_item is not None:
                extended._by_supplier.setdefault(line.supplier_item, set()).add(line.buyer_item)
        return extended

    def fit(self, ids: ItemIds, line: PurchaseOrderLine) -> Fit:
        """Judge the identifiers against the line; one contradiction outweighs any match.

        A supplier item not in the cross-reference still matches when it equals the line's own
        `supplier_item`, and contradicts when the line names a different one. A UPC that the
        cross-reference does not know is UNKNOWN (the PO line carries no UPC).
        """
        verdicts = [
            v
            for v in (
                self._buyer_fit(ids.buyer_item, line),
                self._supplier_fit(ids.supplier_item, line),
                self._upc_fit(ids.upc, line),
            )
            if v is not Fit.UNKNOWN
        ]
        if Fit.CONTRADICTS in verdicts:
            return Fit.CONTRADICTS
        return Fit.MATCHES if verdicts else Fit.UNKNOWN

    @staticmethod
    def _buyer_fit(buyer_item: str | None, line: PurchaseOrderLine) -> Fit:
        if buyer_item is None:
            return Fit.UNKNOWN
        return Fit.MATCHES if buyer_item == line.buyer_item else Fit.CONTRADICTS

    def _supplier_fit(self, supplier_item: str | None, line: PurchaseOrderLine) -> Fit:
        if supplier_item is None:
            return Fit.UNKNOWN
        named = self._by_supplier.get(supplier_item, set())
        if line.buyer_item in named or supplier_item == line.supplier_item:
            return Fit.MATCHES
        if named or line.supplier_item is not None:
            return Fit.CONTRADICTS
        return Fit.UNKNOWN

    def _upc_fit(self, upc: str | None, line: PurchaseOrderLine) -> Fit:
        if upc is None:
            return Fit.UNKNOWN
        named = self._by_upc.get(upc, set())
        if line.buyer_item in named:
            return Fit.MATCHES
        return Fit.CONTRADICTS if named else Fit.UNKNOWN
