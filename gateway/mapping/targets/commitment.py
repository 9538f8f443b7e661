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
from typing import NamedTuple

from gateway.canonical import models as canonical
from gateway.mapping.engine import Record
from gateway.mapping.targets.common import Build, Draft, json_text

TABLES = {
    "line_action": frozenset(canonical.LineAction),
    "header_status": frozenset(canonical.CommitmentStatus),
    "date_kind": frozenset({"delivery", "ship"}),
}
FIELDS = ("po_number", "occurred_at")

# Enum members by value: a dict lookup is several times cheaper than calling the enum (which stays the
# fallback, so a value outside the enum still raises as it did).
_ACTIONS = {a.value: a for a in canonical.LineAction}
_STATUSES = {s.value: s for s in canonical.CommitmentStatus}
_REJECT = frozenset({canonical.LineAction.REJECT, canonical.LineAction.DELETE})
_BACKORDER = frozenset({canonical.LineAction.BACKORDER, canonical.LineAction.PARTIAL_BACKORDER})
_CHANGE = frozenset(
    {
        canonical.LineAction.CHANGE,
        canonical.LineAction.PRICE_CHANGE,
        canonical.LineAction.SUBSTITUTION,
        canonical.LineAction.QTY_CHANGE,
        canonical.LineAction.RESCHEDULE,
    }
)


class _Head(NamedTuple):
    """What every commitment of one acknowledgment shares."""

    partner_id: str
    document_id: str
    occurred_at: datetime | str  # or its JSON text (`for_json`)
    po_number: str
    currency: str | None
    ack_type: str | None
    purpose: str | None
    supplier_reference: str | None
    version: Draft
    for_json: bool  # the drafts are only written as JSON: see `Build.for_json`


class _Split(NamedTuple):
    action: canonical.LineAction
    status_code: str
    quantity: Decimal | None
    unit: str | None
    date: date | None
    date_kind: str


def build(b: Build) -> list[canonical.Commitment]:
    return [canonical.Commitment.model_validate(d) for d in draft(b)]


def draft(b: Build) -> list[Draft]:
    """The commitments as drafts: `canonical.Commitment`'s fields, in its order (see `common.Draft`)."""
    root = b.root
    po_number = root.text("po_number")
    occurred_at = b.occurred_at(root)
    if po_number is None or occurred_at is None:
        b.fail(None, "acknowledgment without a PO number or a date: no commitment recorded")
        return []
    header_status = _status(root.text("header_status"))
    version = b.stamp_draft(occurred_at)
    at: datetime | str = occurred_at
    if b.for_json:  # written once for all the set's commitments
        text = json_text(occurred_at)
        if isinstance(text, str):
            at = version["issued_at"] = text
    head = _Head(
        b.ctx.partner_id,
        b.ctx.document_id,
        at,
        po_number,
        root.text("currency"),
        root.text("ack_type"),
        root.text("purpose"),
        root.text("supplier_reference"),
        version,
        b.for_json,
    )
    lines = root.children("line")
    if not lines:
        status = header_status or canonical.CommitmentStatus.PENDING
        return [_draft(head, None, status, None, None, None, None, None, None, ())]
    out = []
    for line in lines:
        number = line.text("line_number")
        if number is None:
            continue  # reported as a missing required value
        out.append(_line(line, number, header_status, head))
    return out


def _draft(
    head: _Head,
    line_number: str | None,
    status: canonical.CommitmentStatus,
    quantity: Decimal | None,
    unit: str | None,
    committed_date: date | None,
    unit_price: Decimal | None,
    buyer_item: str | None,
    supplier_item: str | None,
    schedule: tuple[Draft, ...],
) -> Draft:
    return {
        "type": "commitment",
        "partner_id": head.partner_id,
        "document_id": head.document_id,
        "occurred_at": head.occurred_at,
        "po_number": head.po_number,
        "line_number": line_number,
        "status": json_text(status) if head.for_json else status,
        "quantity": quantity,
        "unit": unit,
        "committed_date": json_text(committed_date) if head.for_json else committed_date,
        "unit_price": unit_price,
        "currency": head.currency,
        "buyer_item": buyer_item,
        "supplier_item": supplier_item,
        "schedule": schedule,
        "ack_type": head.ack_type,
        "purpose": head.purpose,
        "supplier_reference": head.supplier_reference,
        "version": head.version,
    }


def _line(line: Record, number: str, header_status: canonical.CommitmentStatus | None, head: _Head) -> Draft:
    ordered_qty = line.decimal("quantity")
    ordered_price = line.decimal("order_price")
    price = line.decimal("quote_price") or ordered_price
    acks = line.children("ack")
    schedule = [s for a in acks if (s := _split(a)) is not None]
    kept = [s for s in schedule if s.action not in _REJECT]
    if schedule:
        status = _derive(schedule)
    elif acks:  # ACKs whose codes we could not read (reported): nothing is known yet
        status = canonical.CommitmentStatus.PENDING
    else:
        status = header_status or canonical.CommitmentStatus.PENDING
    if status is canonical.CommitmentStatus.REJECTED:
        quantity: Decimal | None = Decimal(0) if schedule else None
    elif any(s.quantity is not None for s in kept):
        quantity = sum((s.quantity for s in kept if s.quantity is not None), Decimal(0))
    else:
        quantity = ordered_qty
    if status is canonical.CommitmentStatus.ACCEPTED and (
        (quantity is not None and ordered_qty is not None and quantity != ordered_qty)
        or (price is not None and ordered_price is not None and price != ordered_price)
    ):
        status = canonical.CommitmentStatus.ACCEPTED_WITH_CHANGES
    dates = [s.date for s in kept if s.date is not None]
    unit = next((s.unit for s in kept if s.unit), None) or line.text("unit")
    return _draft(
        head,
        number,
        status,
        quantity,
        unit,
        max(dates) if dates else None,
        price,
        line.text("buyer_item"),
        line.text("supplier_item"),
        tuple(
            {
                "action": json_text(s.action) if head.for_json else s.action,
                "status_code": s.status_code,
                "quantity": s.quantity,
                "unit": s.unit,
                "date": json_text(s.date) if head.for_json else s.date,
                "date_kind": s.date_kind,
            }
            for s in schedule
        ),
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


def _derive(schedule: list[_Split]) -> canonical.CommitmentStatus:
    actions = {s.action for s in schedule}
    if actions <= _REJECT:
        return canonical.CommitmentStatus.REJECTED
    if actions & _BACKORDER:
        return canonical.CommitmentStatus.BACKORDERED
    if canonical.LineAction.HOLD in actions:
        return canonical.CommitmentStatus.PENDING
    if actions & (_CHANGE | _REJECT):
        return canonical.CommitmentStatus.ACCEPTED_WITH_CHANGES
    return canonical.CommitmentStatus.ACCEPTED


def _status(code: str | None) -> canonical.CommitmentStatus | None:
    if code is None:
        return None
    return _STATUSES.get(code) or canonical.CommitmentStatus(code)
