"""The exception rules for one PO line: given the newest facts, which cases open and which clear.

Every rule either opens its case or resolves it each time a newer commitment is applied, so the
open cases always describe the newest commitment, never a mix of old and new.

Dates: the PO's requested date is read as a delivery date. A committed ship date is compared with it
as it is, which assumes no transit time: a ship date after the requested delivery date is surely
late, one before it may still be late. The message says which kind of date was compared. Early
dates (beyond `days_early`) have no exception type yet and become a note.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from gateway.canonical.exceptions import ExceptionType
from gateway.canonical.models import Commitment, CommitmentStatus, LineAction, ScheduleLine
from gateway.correlation import cases
from gateway.correlation.ledger import CommitmentScope, DateKind, LineLedger
from gateway.correlation.result import Collector
from gateway.correlation.terms import PartnerTerms
from gateway.correlation.tolerances import Outcome, check_date, check_price, check_quantity
from gateway.correlation.units import UnitConverter

_CaseFn = Callable[[ExceptionType, str, str | None, str | None], None]
_REJECTING = frozenset({LineAction.REJECT, LineAction.DELETE})
_COMMITMENT_RULES = (
    ExceptionType.REJECTED_LINE,
    ExceptionType.UNIT_NOT_CONVERTIBLE,
    ExceptionType.QUANTITY_SHORT,
    ExceptionType.QUANTITY_OVER,
    ExceptionType.DATE_LATE,
    ExceptionType.PRICE_MISMATCH,
)


@dataclass(frozen=True)
class Context:
    """Who and when, for the cases a rule opens."""

    terms: PartnerTerms
    now: dt.datetime
    document_id: str
    currency: str  # the PO's


@dataclass(frozen=True)
class Figures:
    """A commitment for one line, in the line's unit. None means "not stated"."""

    status: CommitmentStatus
    rejected: bool = False
    quantity: Decimal | None = None
    date: dt.date | None = None
    date_kind: DateKind = "delivery"
    price: Decimal | None = None
    currency: str | None = None
    unconvertible_unit: str | None = None  # a unit that has no conversion to the line's unit
    schedule: tuple[
        ScheduleLine, ...
    ] = ()  # the splits, in the line's unit, when the quantity came from them


def is_rejection(c: Commitment) -> bool:
    """Status rejected, or every schedule split says reject/delete."""
    if c.status is CommitmentStatus.REJECTED:
        return True
    return bool(c.schedule) and all(s.action in _REJECTING for s in c.schedule)


def read_commitment(c: Commitment, ledger: LineLedger, terms: PartnerTerms, item: str) -> Figures:
    """Turn a line-level commitment into figures in the line's unit.

    Quantity: `quantity` if stated, else the sum of the non-rejecting schedule splits that state one
    (each converted from its own unit); units default to the commitment's, then the line's. An accepted
    commitment stating no quantity (or no date, or no price) commits what was ordered.
    Schedule: those splits in the line's unit, each dated by its own date (else `committed_date`),
    whether or not `quantity` is stated (pegging uses them only when they add up to the quantity).
    Date: `committed_date`, else the latest schedule date; its kind is the kind of the split that
    carries that date (delivery when none does).
    """
    accepted = c.status is CommitmentStatus.ACCEPTED
    if is_rejection(c):
        return Figures(status=CommitmentStatus.REJECTED, rejected=True)
    convert = terms.converter
    bad_unit: str | None = None
    quantity: Decimal | None = None
    schedule, split_bad_unit = _splits_in_line_unit(c, ledger, convert, item)
    if c.quantity is not None:
        quantity = convert.convert(c.quantity, c.unit or ledger.unit, ledger.unit, item)
        bad_unit = None if quantity is not None else c.unit
    elif split_bad_unit is not None:
        bad_unit = split_bad_unit
    elif schedule:
        quantity = sum((s.quantity for s in schedule), Decimal(0))
    if quantity is None and bad_unit is None and accepted:
        quantity = ledger.ordered_quantity
    date, kind = _committed_date(c)
    if date is None and accepted:
        date, kind = ledger.requested_date, "delivery"
    price: Decimal | None = None
    if c.unit_price is not None:
        price = convert.convert_price(c.unit_price, c.unit or ledger.unit, ledger.unit, item)
        bad_unit = bad_unit if price is not None else (bad_unit or c.unit)
    elif accepted:
        price = ledger.unit_price
    return Figures(
        status=c.status,
        quantity=quantity,
        date=date,
        date_kind=kind,
        price=price,
        currency=c.currency,
        unconvertible_unit=bad_unit,
        schedule=schedule,
    )


def _splits_in_line_unit(
    c: Commitment, ledger: LineLedger, convert: UnitConverter, item: str
) -> tuple[tuple[ScheduleLine, ...], str | None]:
    """The non-rejecting splits that state a quantity, in the line's unit and dated by the split or
    else `committed_date`; `()` and the offending unit when one does not convert."""
    parts: list[ScheduleLine] = []
    for s in c.schedule:
        if s.quantity is None or s.action in _REJECTING:
            continue
        unit = s.unit or c.unit or ledger.unit
        part = convert.convert(s.quantity, unit, ledger.unit, item)
        if part is None:
            return (), unit
        parts.append(
            ScheduleLine(
                quantity=part, unit=ledger.unit, date=s.date or c.committed_date, date_kind=s.date_kind
            )
        )
    return tuple(parts), None


def _committed_date(c: Commitment) -> tuple[dt.date | None, DateKind]:
    dated = [s for s in c.schedule if s.date is not None]
    date = c.committed_date
    if date is None and dated:
        date = max(s.date for s in dated if s.date is not None)
    kind: DateKind = next((s.date_kind for s in dated if s.date == date), "delivery")
    return date, kind


def figures_as_ordered(ledger: LineLedger, status: CommitmentStatus = CommitmentStatus.ACCEPTED) -> Figures:
    """A header-level acceptance: the line committed exactly as ordered."""
    return Figures(
        status=status,
        quantity=ledger.ordered_quantity,
        date=ledger.requested_date,
        price=ledger.unit_price,
    )


def apply_commitment(
    figures: Figures,
    ledger: LineLedger,
    c: Commitment,
    scope: CommitmentScope,
    ctx: Context,
    out: Collector,
) -> LineLedger:
    """Evaluate every commitment rule for the line and return its new ledger.

    Clears shipment_without_commitment (the commitment has now come), and the item/line problems of
    the line's own subject. A cancelled line gets no rule, only a note: there is no exception type
    for a commitment to a cancelled line yet.
    """
    subject = cases.line_subject(ledger.po_number, ledger.line_number)
    for type_ in (
        ExceptionType.SHIPMENT_WITHOUT_COMMITMENT,
        ExceptionType.ITEM_MISMATCH,
        ExceptionType.UNKNOWN_LINE,
        *_COMMITMENT_RULES,
    ):
        out.resolve(type_, subject)
    if ledger.cancelled:
        out.note(f"{subject}: commitment ({figures.status}) for a cancelled line; no rule evaluated")
    else:
        _evaluate(figures, ledger, ctx, out)
    return ledger.model_copy(
        update={
            "ack_status": figures.status,
            "committed_quantity": Decimal(0) if figures.rejected else figures.quantity,
            "committed_date": figures.date,
            "committed_date_kind": figures.date_kind if figures.date is not None else None,
            "committed_price": figures.price,
            "committed_schedule": () if figures.rejected else figures.schedule,
            "commitment_version": c.version,
            "commitment_scope": scope,
            "commitment_document_id": c.document_id,
        }
    )


def _evaluate(figures: Figures, ledger: LineLedger, ctx: Context, out: Collector) -> None:
    def case(type_: ExceptionType, message: str, expected: str | None, actual: str | None) -> None:
        out.open(
            cases.make_case(
                type_,
                partner_id=ctx.terms.partner_id,
                subject=cases.line_subject(ledger.po_number, ledger.line_number),
                message=message,
                now=ctx.now,
                po_number=ledger.po_number,
                line_number=ledger.line_number,
                expected=expected,
                actual=actual,
                document_id=ctx.document_id,
            )
        )

    where = f"PO {ledger.po_number} line {ledger.line_number}"
    ordered = cases.fmt_qty(ledger.ordered_quantity, ledger.unit)
    if figures.rejected:
        case(ExceptionType.REJECTED_LINE, f"{where} was rejected by the supplier", ordered, "rejected")
        return
    if figures.unconvertible_unit is not None:
        case(
            ExceptionType.UNIT_NOT_CONVERTIBLE,
            f"{where}: no conversion from {figures.unconvertible_unit} to {ledger.unit}",
            ledger.unit,
            figures.unconvertible_unit,
        )
    tol = ctx.terms.tolerances
    if figures.quantity is not None:
        verdict = check_quantity(ledger.ordered_quantity, figures.quantity, tol.quantity_pct)
        committed = cases.fmt_qty(figures.quantity, ledger.unit)
        if verdict.outcome is Outcome.BELOW:
            case(
                ExceptionType.QUANTITY_SHORT,
                f"{where}: committed {committed} of {ordered}",
                ordered,
                committed,
            )
        elif verdict.outcome is Outcome.ABOVE:
            case(
                ExceptionType.QUANTITY_OVER,
                f"{where}: committed {committed} for {ordered}",
                ordered,
                committed,
            )
    if figures.date is not None and ledger.requested_date is not None:
        dv = check_date(ledger.requested_date, figures.date, tol.days_early, tol.days_late)
        requested = cases.fmt_date(ledger.requested_date, "delivery")
        committed_on = cases.fmt_date(figures.date, figures.date_kind)
        if dv.outcome is Outcome.ABOVE:
            message = (
                f"{where}: committed {figures.date_kind} date is {dv.days} day(s) after the requested date"
            )
            case(ExceptionType.DATE_LATE, message, requested, committed_on)
        elif dv.outcome is Outcome.BELOW:
            out.note(f"{where}: committed {committed_on} is {-dv.days} day(s) before {requested}")
    _check_price(figures, ledger, ctx, case)


def _check_price(figures: Figures, ledger: LineLedger, ctx: Context, case: _CaseFn) -> None:
    if figures.price is None or ledger.unit_price is None:
        return
    where = f"PO {ledger.po_number} line {ledger.line_number}"
    expected = cases.fmt_price(ledger.unit_price, ctx.currency, ledger.unit)
    currency = figures.currency or ctx.currency
    actual = cases.fmt_price(figures.price, currency, ledger.unit)
    if currency != ctx.currency:
        case(
            ExceptionType.PRICE_MISMATCH,
            f"{where}: price in {currency}, ordered in {ctx.currency}",
            expected,
            actual,
        )
        return
    verdict = check_price(ledger.unit_price, figures.price, ctx.terms.tolerances.price_pct)
    if not verdict.within:
        case(
            ExceptionType.PRICE_MISMATCH,
            f"{where}: committed price {actual}, ordered {expected}",
            expected,
            actual,
        )


def evaluate_shipped(ledger: LineLedger, ctx: Context, out: Collector) -> None:
    """The shipped-total rules for a line whose shipped quantities just changed.

    Over-shipment: the total over distinct shipment ids beyond ordered + tolerance (a cancelled line
    counts as ordered 0). Shipment without commitment: something shipped and no commitment of any
    kind recorded (a rejection counts: the buyer already has the rejected_line case; a cancelled line
    is left to over-shipment alone). Each rule
    resolves its case when it no longer holds, e.g. after a ship notice is deleted.
    """
    subject = cases.line_subject(ledger.po_number, ledger.line_number)
    where = f"PO {ledger.po_number} line {ledger.line_number}"
    total = ledger.shipped_total
    shipped = cases.fmt_qty(total, ledger.unit)
    ordered = Decimal(0) if ledger.cancelled else ledger.ordered_quantity

    def case(type_: ExceptionType, message: str, expected: str, details: dict[str, str]) -> None:
        out.open(
            cases.make_case(
                type_,
                partner_id=ctx.terms.partner_id,
                subject=subject,
                message=f"{where}: {message}",
                now=ctx.now,
                po_number=ledger.po_number,
                line_number=ledger.line_number,
                expected=expected,
                actual=shipped,
                document_id=ctx.document_id,
                details=details,
            )
        )

    if check_quantity(ordered, total, ctx.terms.tolerances.quantity_pct).outcome is Outcome.ABOVE:
        expected = cases.fmt_qty(ordered, ledger.unit)
        per_shipment = {sid: cases.fmt_decimal(q) for sid, q in sorted(ledger.shipped.items())}
        message = f"{shipped} shipped over {len(ledger.shipped)} shipment(s) for {expected} ordered"
        case(ExceptionType.OVER_SHIPMENT, message, expected, per_shipment)
    else:
        out.resolve(ExceptionType.OVER_SHIPMENT, subject)
    if total > 0 and not ledger.has_commitment and not ledger.cancelled:
        message = "goods shipped before any commitment was received"
        case(ExceptionType.SHIPMENT_WITHOUT_COMMITMENT, message, "a commitment", {})
    else:
        out.resolve(ExceptionType.SHIPMENT_WITHOUT_COMMITMENT, subject)
