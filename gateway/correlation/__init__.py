"""Correlation: matching commitments and shipments to PO lines, and the exception rules.

Pure functions of their inputs (no I/O): the pipeline loads the PO state, calls
`correlate_commitment` or `correlate_shipment`, and stores the `CorrelationResult`.

Import by module: `from gateway import correlation` then `correlation.correlate_shipment(...)`.
"""

from gateway.correlation.engine import correlate_commitment, correlate_shipment
from gateway.correlation.items import ItemCatalog, ItemIds
from gateway.correlation.ledger import CommitmentScope, Freshness, LineLedger, PurchaseOrderState
from gateway.correlation.match import LineMatch, MatchedBy, MatchOutcome, match_line
from gateway.correlation.result import CorrelationResult
from gateway.correlation.terms import PartnerTerms
from gateway.correlation.tolerances import (
    AmountVerdict,
    DateVerdict,
    Outcome,
    check_date,
    check_price,
    check_quantity,
)
from gateway.correlation.units import Ratio, UnitConverter

__all__ = [
    "AmountVerdict",
    "CommitmentScope",
    "CorrelationResult",
    "DateVerdict",
    "Freshness",
    "ItemCatalog",
    "ItemIds",
    "LineLedger",
    "LineMatch",
    "MatchOutcome",
    "MatchedBy",
    "Outcome",
    "PartnerTerms",
    "PurchaseOrderState",
    "Ratio",
    "UnitConverter",
    "check_date",
    "check_price",
    "check_quantity",
    "correlate_commitment",
    "correlate_shipment",
    "match_line",
]
