"""Commitments from a purchase order acknowledgment (X12 855, 004010/005010).

One Commitment per PO1 line, with one CommitmentLine per ACK (element 668 through the map's
`line_action` table). Without PO1 lines the acknowledgment is about the whole order: one Commitment
with `line_number` None and the status of BAK02 (map table `header_status`).

Line status, from the normalised ACK actions (EDI_REFERENCE.md grouping):
all rejected -> rejected; any backorder -> backordered; any hold -> pending; any change, any
rejected split, or a committed quantity or price that differs from PO102/PO104 -> accepted with
changes; otherwise accepted. A line without ACK takes the header status.

Price choice: `unit_price` is the CTP price when the line carries one (the supplier's quoted price),
else PO104 (the 855 echoes the ordered price in PO104 and changes it there for IP lines).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Final

from gateway.canonical import models as canonical
from gateway.mapping.engine import Record
from gateway.mapping.targets import json_lines
from gateway.mapping.targets.common import Build, Draft

TABLES = {
    "line_action": frozenset(canonical.LineAction),
    "header_status": frozenset(canonical.CommitmentStatus),
    "date_kind": frozenset({"delivery", "ship"}),
}
FIELDS = ("po_number", "occurred_at")

# Enum members by value: a dict lookup is several times cheaper than calling the enum (which stays the
# fallback, so a value outside the enum still raises as it did).
_ACTIONS: Final = {a.value: a for a in canonical.LineAction}
_STATUSES: Final = {s.value: s for s in canonical.CommitmentStatus}
_BACKORDER: Final = frozenset({canonical.LineAction.BACKORDER, canonical.LineAction.PARTIAL_BACKORDER})
_CHANGE: Final = frozenset(
    {
        canonical.LineAction.CHANGE,
        canonical.LineAction.PRICE_CHANGE,
        canonical.LineAction.SUBSTITUTION,
        canonical.LineAction.QTY_CHANGE,
        canonical.LineAction.RESCHEDULE,
    }
)
# The members the builder tests for, bound once: reading one off its enum class is an attribute
# lookup through the class (about 1,300 instructions each in the compiled build). Final: C statics
# in a compiled build, not module dict look-ups.
_REJECT: Final = canonical.LineAction.REJECT
_DELETE: Final = canonical.LineAction.DELETE
_HOLD: Final = canonical.LineAction.HOLD
_ACCEPTED: Final = canonical.CommitmentStatus.ACCEPTED
_WITH_CHANGES: Final = canonical.CommitmentStatus.ACCEPTED_WITH_CHANGES
_REJECTED: Final = canonical.CommitmentStatus.REJECTED
_BACKORDERED: Final = canonical.CommitmentStatus.BACKORDERED
_PENDING: Final = canonical.CommitmentStatus.PENDING
_ZERO: Final = Decimal(0)


# Plain classes with written-out constructors (not NamedTuples, whose Python-level __new__ runs per
# call): native in a compiled build.
class _Head:
    """What every commitment of one acknowledgment shares."""

    def __init__(
        self,
        partner_id: str,
        document_id: str,
        occurred_at: datetime,
        po_number: str,
        currency: str | None,
        ack_type: str | None,
        purpose: str | None,
        supplier_reference: str | None,
        version: Draft,
    ) -> None:
        self.partner_id = partner_id
        self.document_id = document_id
        self.occurred_at = occurred_at
        self.po_number = po_number
        self.currency = currency
        self.ack_type = ack_type
        self.purpose = purpose
        self.supplier_reference = supplier_reference
        self.version = version


class _Split:
    """One ACK's schedule split."""

    def __init__(
        self,
        action: canonical.LineAction,
        status_code: str,
        quantity: Decimal | None,
        unit: str | None,
        day: date | None,
        date_kind: str,
    ) -> None:
        self.action = action
        self.status_code = status_code
        self.quantity = quantity
        self.unit = unit
        self.date = day
        self.date_kind = date_kind


class _Line:
    """One PO line's commitment, before it is drafted or written."""

    def __init__(
        self,
        number: str | None,
        status: canonical.CommitmentStatus,
        quantity: Decimal | None,
        unit: str | None,
        committed_date: date | None,
        unit_price: Decimal | None,
        buyer_item: str | None,
        supplier_item: str | None,
        schedule: list[_Split],
    ) -> None:
        self.number = number
        self.status = status
        self.quantity = quantity
        self.unit = unit
        self.committed_date = committed_date
        self.unit_price = unit_price
        self.buyer_item = buyer_item
        self.supplier_item = supplier_item
        self.schedule = schedule


def build(b: Build) -> list[canonical.Commitment]:
    return [canonical.Commitment.model_validate(d) for d in draft(b)]


def draft(b: Build) -> list[Draft]:
    """The commitments as drafts: `canonical.Commitment`'s fields, in its order (see `common.Draft`)."""
    read = _read(b)
    if read is None:
        return []
    head, lines = read
    return [_draft(head, line) for line in lines]


def write(b: Build) -> list[str]:
    """The commitments as JSON text: exactly `pydantic_core.to_json(d)` for each draft `d` of
    `draft(b)` (the models' `model_dump_json()`), without the drafts. The pieces the set's
    commitments share are written once."""
    read = _read(b)
    if read is None:
        return []
    head, lines = read
    version = head.version
    seq = version["sequence"]
    assert isinstance(seq, int)
    source = version["source"]
    assert isinstance(source, str)
    # f-strings: one str built per piece (a chain of `+` makes a str per operator).
    opening = (
        f'{{"type":"commitment","partner_id":{json_lines.quoted(head.partner_id)}'
        f',"document_id":{json_lines.quoted(head.document_id)}'
        f',"occurred_at":{json_lines.moment(head.occurred_at)}'
        f',"po_number":{json_lines.quoted(head.po_number)},"line_number":'
    )
    currency = f',"currency":{json_lines.text(head.currency)},"buyer_item":'
    closing = (
        f',"ack_type":{json_lines.text(head.ack_type)},"purpose":{json_lines.text(head.purpose)}'
        f',"supplier_reference":{json_lines.text(head.supplier_reference)}'
        f',"version":{{"issued_at":{json_lines.moment(head.occurred_at)},"sequence":{seq}'
        f',"source":{json_lines.quoted(source)}}}}}'
    )
    return [_json(line, opening, currency, closing) for line in lines]


def _read(b: Build) -> tuple[_Head, list[_Line]] | None:
    """The acknowledgment's commitments (None when it carries none: reported)."""
    root = b.root
    po_number = root.text("po_number")
    occurred_at = b.occurred_at(root)
    if po_number is None or occurred_at is None:
        b.fail(None, "acknowledgment without a PO number or a date: no commitment recorded")
        return None
    header_status = _status(root.text("header_status"))
    head = _Head(
        b.ctx.partner_id,
        b.ctx.document_id,
        occurred_at,
        po_number,
        root.text("currency"),
        root.text("ack_type"),
        root.text("purpose"),
        root.text("supplier_reference"),
        b.stamp_draft(occurred_at),
    )
    records = root.children("line")
    if not records:
        status = header_status or _PENDING
        return head, [_Line(None, status, None, None, None, None, None, None, [])]
    lines = []
    for rec in records:
        number = rec.text("line_number")
        if number is None:
            continue  # reported as a missing required value
        lines.append(_line(rec, number, header_status))
    return head, lines


def _draft(head: _Head, line: _Line) -> Draft:
    return {
        "type": "commitment",
        "partner_id": head.partner_id,
        "document_id": head.document_id,
        "occurred_at": head.occurred_at,
        "po_number": head.po_number,
        "line_number": line.number,
        "status": line.status,
        "quantity": line.quantity,
        "unit": line.unit,
        "committed_date": line.committed_date,
        "unit_price": line.unit_price,
        "currency": head.currency,
        "buyer_item": line.buyer_item,
        "supplier_item": line.supplier_item,
        "schedule": tuple(
            {
                "action": s.action,
                "status_code": s.status_code,
                "quantity": s.quantity,
                "unit": s.unit,
                "date": s.date,
                "date_kind": s.date_kind,
            }
            for s in line.schedule
        ),
        "ack_type": head.ack_type,
        "purpose": head.purpose,
        "supplier_reference": head.supplier_reference,
        "version": head.version,
    }


def _json(line: _Line, opening: str, currency: str, closing: str) -> str:
    """`_draft` as `pydantic_core.to_json` writes it; `opening`, `currency` and `closing` are the
    set's shared pieces (see `write`)."""
    splits = ",".join(
        [
            f'{{"action":{json_lines.quoted(s.action)}'  # a StrEnum member: its value
            f',"status_code":{json_lines.quoted(s.status_code)}'
            f',"quantity":{json_lines.number(s.quantity)},"unit":{json_lines.text(s.unit)}'
            f',"date":{json_lines.day(s.date)},"date_kind":{json_lines.quoted(s.date_kind)}}}'
            for s in line.schedule
        ]
    )
    return (
        f'{opening}{json_lines.text(line.number)},"status":{json_lines.quoted(line.status)}'
        f',"quantity":{json_lines.number(line.quantity)},"unit":{json_lines.text(line.unit)}'
        f',"committed_date":{json_lines.day(line.committed_date)}'
        f',"unit_price":{json_lines.number(line.unit_price)}{currency}{json_lines.text(line.buyer_item)}'
        f',"supplier_item":{json_lines.text(line.supplier_item)},"schedule":[{splits}]{closing}'
    )


def _line(line: Record, number: str, header_status: canonical.CommitmentStatus | None) -> _Line:
    ordered_qty = line.decimal("quantity")
    ordered_price = line.decimal("order_price")
    price = line.decimal("quote_price") or ordered_price
    acks = line.children("ack")
    schedule = [s for a in acks if (s := _split(a)) is not None]
    # One pass over the splits that are not rejections: how many carry a quantity, the first one and
    # the sum (only from a second one on: a line with one split keeps that split's Decimal, the one
    # the engine read, which the JSON writer has kept written; a sum is a new Decimal), the latest
    # date (the first of equal ones, as max) and the first unit.
    counted = 0
    first: Decimal | None = None
    total = _ZERO
    latest: date | None = None
    unit: str | None = None
    for s in schedule:
        if _rejects(s.action):
            continue
        q = s.quantity
        if q is not None:
            counted += 1
            if counted == 1:
                first = q
            elif counted == 2:
                assert first is not None
                total = _ZERO + first + q  # as sum(quantities, _ZERO) adds them
            else:
                total = total + q
        d = s.date
        if d is not None and (latest is None or d > latest):
            latest = d
        if unit is None and s.unit:
            unit = s.unit
    if schedule:
        status = _derive(schedule)
    elif acks:  # ACKs whose codes we could not read (reported): nothing is known yet
        status = _PENDING
    else:
        status = header_status or _PENDING
    if status is _REJECTED:
        quantity: Decimal | None = _ZERO if schedule else None
    elif counted == 1:
        quantity = first
    else:
        quantity = total if counted else ordered_qty
    if status is _ACCEPTED and (
        (quantity is not None and ordered_qty is not None and quantity != ordered_qty)
        or (price is not None and ordered_price is not None and price != ordered_price)
    ):
        status = _WITH_CHANGES
    return _Line(
        number,
        status,
        quantity,
        unit or line.text("unit"),
        latest,
        price,
        line.text("buyer_item"),
        line.text("supplier_item"),
        schedule,
    )


def _split(ack: Record) -> _Split | None:
    action = ack.text("action")
    if action is None:
        return None  # unknown or missing ACK01, already reported
    return _Split(
        _ACTIONS.get(action) or canonical.LineAction(action),
        ack.text("status_code") or "",
        ack.decimal("quantity"),
        ack.text("unit"),
        ack.day("date"),
        "ship" if ack.text("date_kind") == "ship" else "delivery",
    )


def _rejects(action: canonical.LineAction) -> bool:
    return action is _REJECT or action is _DELETE


def _derive(schedule: list[_Split]) -> canonical.CommitmentStatus:
    # One pass of identity tests (the members are singletons) rather than sets of the actions.
    all_rejected, backorder, hold, change = True, False, False, False
    for s in schedule:
        action = s.action
        if action is _REJECT or action is _DELETE:
            change = True
            continue
        all_rejected = False
        if action in _BACKORDER:
            backorder = True
        elif action is _HOLD:
            hold = True
        elif action in _CHANGE:
            change = True
    if all_rejected:
        return _REJECTED
    if backorder:
        return _BACKORDERED
    if hold:
        return _PENDING
    if change:
        return _WITH_CHANGES
    return _ACCEPTED


def _status(code: str | None) -> canonical.CommitmentStatus | None:
    if code is None:
        return None
    return _STATUSES.get(code) or canonical.CommitmentStatus(code)
