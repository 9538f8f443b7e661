"""Building exception cases: subjects (the de-duplication keys), severities and readable figures.

Subjects (one open case per type and subject):

- `po:<po>`                                 a commitment for a PO we do not know
- `po:<po>:line:<line>`                     anything about one PO line (commitment rules, shipped
                                            totals, shipment without commitment)
- `po:<po>:item:<item ids>`                 a commitment whose line could not be found by its item
- `shipment:<id>:po:<po>`                   a ship notice line naming a PO we do not know
- `shipment:<id>:po:<po>:line:<line>`       a ship notice line that matches no line, names the wrong
                                            item, or has a unit we cannot convert
                                            (`...:item:<item ids>` when it has no line number)
- `document:<document id>`                  a stale update (an older version arriving late)

Everything under `shipment:<id>` belongs to that ship notice: a newer version of it supersedes them
(see `CorrelationResult.resolve_scope`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from gateway.canonical.exceptions import OWNERS, ExceptionCase, ExceptionType, Severity
from gateway.correlation.items import ItemIds

SEVERITY: dict[ExceptionType, Severity] = {
    ExceptionType.UNKNOWN_PO: Severity.MEDIUM,
    ExceptionType.UNKNOWN_LINE: Severity.MEDIUM,
    ExceptionType.ITEM_MISMATCH: Severity.HIGH,
    ExceptionType.UNIT_NOT_CONVERTIBLE: Severity.MEDIUM,
    ExceptionType.REJECTED_LINE: Severity.HIGH,
    ExceptionType.QUANTITY_SHORT: Severity.HIGH,
    ExceptionType.QUANTITY_OVER: Severity.MEDIUM,
    ExceptionType.DATE_LATE: Severity.HIGH,
    ExceptionType.PRICE_MISMATCH: Severity.MEDIUM,
    ExceptionType.SHIPMENT_WITHOUT_COMMITMENT: Severity.MEDIUM,
    ExceptionType.OVER_SHIPMENT: Severity.MEDIUM,
    ExceptionType.STALE_UPDATE: Severity.LOW,
    ExceptionType.NO_FUNCTIONAL_ACK: Severity.MEDIUM,
    ExceptionType.NO_PO_ACK: Severity.MEDIUM,
    ExceptionType.SHIPMENT_OVERDUE: Severity.HIGH,
}

# ---------------------------------------------------------------- subjects


def po_subject(po_number: str) -> str:
    return f"po:{po_number}"


def line_subject(po_number: str, line_number: str) -> str:
    return f"po:{po_number}:line:{line_number}"


def item_key(ids: ItemIds) -> str:
    """The item part of a subject when there is no line number: the first identifier given."""
    for value in (ids.buyer_item, ids.supplier_item, ids.upc):
        if value is not None:
            return value
    return "?"


def unmatched_subject(po_number: str, line_number: str | None, ids: ItemIds) -> str:
    if line_number is not None:
        return line_subject(po_number, line_number)
    return f"po:{po_number}:item:{item_key(ids)}"


def shipment_scope(shipment_id: str) -> str:
    return f"shipment:{shipment_id}"


def shipment_subject(shipment_id: str, rest: str) -> str:
    """`rest` is a PO subject (`po:...`), so shipment subjects read `shipment:<id>:po:...`."""
    return f"{shipment_scope(shipment_id)}:{rest}"


def document_subject(document_id: str) -> str:
    return f"document:{document_id}"


# ---------------------------------------------------------------- readable figures


def fmt_decimal(value: Decimal) -> str:
    """Plain notation without trailing zeros, at most 6 decimals: 100, 0.833333, 12.5."""
    if value == value.to_integral_value():
        return f"{value.quantize(Decimal(1)):f}"
    return f"{value.quantize(Decimal('0.000001')).normalize():f}"


def fmt_qty(quantity: Decimal, unit: str) -> str:
    return f"{fmt_decimal(quantity)} {unit}"


def fmt_price(price: Decimal, currency: str, unit: str) -> str:
    """Money with at least two decimals: 2.50 USD/EA, 0.208333 USD/EA."""
    exact = price.quantize(Decimal("0.000001")).normalize()
    exponent = exact.as_tuple().exponent
    shown = exact if isinstance(exponent, int) and exponent < -2 else exact.quantize(Decimal("0.01"))
    return f"{shown:f} {currency}/{unit}"


def fmt_date(date: dt.date, kind: str) -> str:
    return f"{date.isoformat()} ({kind})"


# ---------------------------------------------------------------- the case


def make_case(
    type_: ExceptionType,
    *,
    partner_id: str,
    subject: str,
    message: str,
    now: dt.datetime,
    po_number: str | None = None,
    line_number: str | None = None,
    expected: str | None = None,
    actual: str | None = None,
    document_id: str | None = None,
    details: dict[str, str] | None = None,
) -> ExceptionCase:
    """An open case with the owner from `OWNERS` and the severity from `SEVERITY`.

    `impacted_production_orders` stays empty until pegging fills it in.
    """
    return ExceptionCase(
        type=type_,
        severity=SEVERITY.get(type_, Severity.MEDIUM),
        partner_id=partner_id,
        subject=subject,
        po_number=po_number,
        line_number=line_number,
        expected=expected,
        actual=actual,
        message=message,
        owner=OWNERS[type_],
        document_id=document_id,
        impacted_production_orders=(),
        opened_at=now,
        details=details or {},
    )
