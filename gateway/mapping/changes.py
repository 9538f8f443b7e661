"""What a new revision of a purchase order changes, line by line, as X12 860 change codes (element 670).

One code per changed line, the most precise that says it all:

    AI  a line the previous revision did not have (or had cancelled)
    DI  a line missing from the new revision, or now `cancelled`
    QI  only the quantity went up;  QD  only the quantity went down
    PC  only the unit price changed
    CA  the dates (requested date or schedule) changed, or several of quantity, price and dates
    RZ  the line names another item or unit: every value is replaced

Unchanged lines are left out. Header fields (plant, ship-to) are not line changes; a revision that
changes no line gives no change lines.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from gateway.canonical import models as canonical


class ChangeCode(StrEnum):
    """X12 670 change or response type codes used in POC02."""

    ADD_ITEM = "AI"
    CHANGES_TO_LINE_ITEMS = "CA"
    DELETE_ITEM = "DI"
    QUANTITY_INCREASE = "QI"
    QUANTITY_DECREASE = "QD"
    PRICE_CHANGE = "PC"
    REPLACE_ALL_VALUES = "RZ"


@dataclass(frozen=True, slots=True)
class LineChange:
    """One changed line, with its values in the new revision (the previous ones for a deleted line)."""

    change_code: ChangeCode
    line_number: str
    buyer_item: str
    supplier_item: str | None
    description: str | None
    quantity: Decimal
    unit: str
    unit_price: Decimal | None
    previous_quantity: Decimal | None
    quantity_change: Decimal | None  # the absolute difference, for QI/QD
    requested_date: dt.date | None  # only when the dates changed (then written in a DTM)
    date_changed: bool
    schedule: tuple[canonical.ScheduleLine, ...]  # written only when the dates changed


@dataclass(frozen=True, slots=True)
class PurchaseOrderChange:
    """A revision as the partner should hear it: the new order and its changed lines."""

    po: canonical.PurchaseOrder
    previous_revision: int
    lines: tuple[LineChange, ...]

    @property
    def line_count(self) -> int:
        return len(self.lines)


def requested_date_of(line: canonical.PurchaseOrderLine) -> dt.date | None:
    """The requested date, else the latest schedule date (as the ledger reads it; mapping may not
    import correlation)."""
    if line.requested_date is not None:
        return line.requested_date
    dates = [s.date for s in line.schedule if s.date is not None]
    return max(dates) if dates else None


def _active(po: canonical.PurchaseOrder) -> dict[str, canonical.PurchaseOrderLine]:
    return {line.line_number: line for line in po.lines if not line.cancelled}


def _change(
    code: ChangeCode,
    line: canonical.PurchaseOrderLine,
    *,
    previous: canonical.PurchaseOrderLine | None = None,
    date_changed: bool = False,
) -> LineChange:
    before_qty = previous.quantity if previous is not None else None
    return LineChange(
        change_code=code,
        line_number=line.line_number,
        buyer_item=line.buyer_item,
        supplier_item=line.supplier_item,
        description=line.description,
        quantity=line.quantity,
        unit=line.unit,
        unit_price=line.unit_price,
        previous_quantity=before_qty,
        quantity_change=abs(line.quantity - before_qty) if before_qty is not None else None,
        requested_date=requested_date_of(line) if date_changed else None,
        date_changed=date_changed,
        schedule=line.schedule if date_changed else (),
    )


def line_change(
    before: canonical.PurchaseOrderLine | None, after: canonical.PurchaseOrderLine | None
) -> LineChange | None:
    """The change from `before` to `after` (either None or cancelled when absent); None if unchanged."""
    if before is not None and before.cancelled:
        before = None
    if after is not None and after.cancelled:
        after = None
    if after is None:
        return None if before is None else _change(ChangeCode.DELETE_ITEM, before)
    if before is None:
        return _change(ChangeCode.ADD_ITEM, after, date_changed=True)
    if (before.buyer_item, before.supplier_item, before.unit) != (
        after.buyer_item,
        after.supplier_item,
        after.unit,
    ):
        return _change(ChangeCode.REPLACE_ALL_VALUES, after, previous=before, date_changed=True)
    qty = after.quantity != before.quantity
    price = after.unit_price != before.unit_price
    dates = (requested_date_of(after), after.schedule) != (requested_date_of(before), before.schedule)
    if qty + price + dates == 0:
        return None
    if qty + price + dates > 1 or dates:
        code = ChangeCode.CHANGES_TO_LINE_ITEMS
    elif qty:
        code = (
            ChangeCode.QUANTITY_INCREASE if after.quantity > before.quantity else ChangeCode.QUANTITY_DECREASE
        )
    else:
        code = ChangeCode.PRICE_CHANGE
    return _change(code, after, previous=before, date_changed=dates)


def purchase_order_change(
    before: canonical.PurchaseOrder, after: canonical.PurchaseOrder
) -> PurchaseOrderChange:
    """Every changed line from `before` to `after`, in the new revision's line order, deletions last."""
    old, new = _active(before), _active(after)
    changes = [line_change(old.get(n), line) for n, line in new.items()]
    changes += [line_change(line, None) for n, line in old.items() if n not in new]
    return PurchaseOrderChange(
        po=after, previous_revision=before.revision, lines=tuple(c for c in changes if c is not None)
    )
