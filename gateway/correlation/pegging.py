"""Pegging: supply of one item at one plant allocated to the production orders that need it.

Pure. The pipeline gathers, per (item, plant), the component requirements and the supply, then calls
`peg`; a requirement covered late or short becomes a `production_at_risk` case on
`production:<order id>:item:<item>`.

Supply, all in the unit of the requirements (`purchase_line_supplies` converts):

- on-hand stock (available now);
- the open quantity of each PO line: what the supplier will still deliver (committed quantity, or
  the ordered quantity while unconfirmed; 0 when rejected or cancelled) minus what already shipped
  or was received, dated by the committed date, else the requested date;
- shipments in transit: each shipment's quantity on the line, less what was received (receipts are
  counted against the earliest-arriving shipments first), dated by its expected delivery.

Received goods are not supply here: they are in the ERP's on-hand stock, which is.

Allocation order. Requirements are served in need-date order (ties by order id). Supplies are taken
on-hand first, then EARLIEST AVAILABLE FIRST, ties broken by kind (PO lines, then shipments in
transit) and then by reference. Taking all PO lines before any shipment in transit would hand a
late PO line to the earliest need while an earlier shipment served a later one, and report lateness
that a planner can fix by simply re-pegging; date order reports only what is really late.

A committed ship date is read as the delivery date (no transit time), as the line rules do. A supply
with no date at all (a PO line with neither committed nor requested date, a shipment without an
expected delivery or ship date) is taken last and makes the requirement it serves "at risk, date
unknown". A split commitment (the ledger's `committed_schedule`) is one supply per split, each
dated by its own date; what already shipped or was received is counted against the earliest splits
first, and the line's shortfall is carried by its last split.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from gateway.canonical.exceptions import OWNERS, ExceptionCase, ExceptionType, Severity
from gateway.canonical.models import CommitmentStatus, PurchaseOrderLine
from gateway.correlation.cases import fmt_decimal
from gateway.correlation.ledger import LineLedger
from gateway.correlation.units import UnitConverter

_ZERO = Decimal(0)


class SupplyKind(StrEnum):
    ON_HAND = "on_hand"
    PURCHASE_ORDER = "purchase_order"
    IN_TRANSIT = "in_transit"


_KIND_RANK = {SupplyKind.ON_HAND: 0, SupplyKind.PURCHASE_ORDER: 1, SupplyKind.IN_TRANSIT: 2}


@dataclass(frozen=True)
class Supply:
    """A quantity of the item that becomes available on `available_on`.

    `available_on` is ignored for on-hand stock (available now); for any other kind None means the
    date is unknown. `shortfall` (PO lines only) is what the supplier will not deliver of what was
    ordered (all of it when rejected): a requirement left short names the lines that have one.
    """

    kind: SupplyKind
    quantity: Decimal
    available_on: dt.date | None = None
    partner_id: str | None = None
    po_number: str | None = None
    line_number: str | None = None
    shipment_id: str | None = None
    shortfall: Decimal = _ZERO

    @property
    def dated(self) -> bool:
        return self.kind is SupplyKind.ON_HAND or self.available_on is not None

    @property
    def po_line(self) -> str | None:
        """`<po>/<line>` for PO lines and shipments on a PO line."""
        if self.po_number is None or self.line_number is None:
            return None
        return f"{self.po_number}/{self.line_number}"

    def sort_key(self) -> tuple[int, dt.date, int, str, str, str]:
        on_hand = self.kind is SupplyKind.ON_HAND
        date = dt.date.min if on_hand else (self.available_on or dt.date.max)
        return (
            0 if on_hand else 1,
            date,
            _KIND_RANK[self.kind],
            self.po_number or "",
            self.line_number or "",
            self.shipment_id or "",
        )


@dataclass(frozen=True)
class Requirement:
    """A production order's need for the item, in the pegging's unit."""

    order_id: str
    quantity: Decimal
    need_date: dt.date


@dataclass(frozen=True)
class Allocation:
    supply: Supply
    quantity: Decimal

    @property
    def late_for(self) -> dt.date | None:
        """The supply's date (None for on-hand stock and undated supply)."""
        return None if self.supply.kind is SupplyKind.ON_HAND else self.supply.available_on


@dataclass(frozen=True)
class Coverage:
    """How one requirement is covered: the supply allocated to it, in allocation order."""

    requirement: Requirement
    allocations: tuple[Allocation, ...]

    @property
    def allocated(self) -> Decimal:
        return sum((a.quantity for a in self.allocations), _ZERO)

    @property
    def short(self) -> Decimal:
        return max(_ZERO, self.requirement.quantity - self.allocated)

    @property
    def undated(self) -> bool:
        """Some of the supply allocated has no date."""
        return any(not a.supply.dated for a in self.allocations)

    @property
    def supply_date(self) -> dt.date | None:
        """When the last of the allocated supply arrives (None: on hand, nothing allocated, or undated)."""
        dates = [d for a in self.allocations if (d := a.late_for) is not None]
        return max(dates) if dates else None

    @property
    def days_late(self) -> int:
        date = self.supply_date
        return max(0, (date - self.requirement.need_date).days) if date is not None else 0

    @property
    def at_risk(self) -> bool:
        return self.short > 0 or self.days_late > 0 or self.undated

    def late_allocations(self) -> tuple[Allocation, ...]:
        need = self.requirement.need_date
        return tuple(
            a for a in self.allocations if not a.supply.dated or ((d := a.late_for) is not None and d > need)
        )


def allocate(requirements: Iterable[Requirement], supplies: Iterable[Supply]) -> tuple[Coverage, ...]:
    """Allocate supply to requirements (see the module docstring for both orders).

    Returns one coverage per requirement, in need-date order. Never allocates more than a supply
    holds; the total allocated is min(total supply, total demand). Non-positive quantities are
    neither supply nor demand.
    """
    queue = [s for s in sorted(supplies, key=Supply.sort_key) if s.quantity > 0]
    left = [s.quantity for s in queue]
    out: list[Coverage] = []
    i = 0
    for req in sorted(requirements, key=lambda r: (r.need_date, r.order_id)):
        needed = max(_ZERO, req.quantity)
        taken: list[Allocation] = []
        while needed > 0 and i < len(queue):
            part = min(needed, left[i])
            taken.append(Allocation(supply=queue[i], quantity=part))
            needed -= part
            left[i] -= part
            if left[i] == 0:
                i += 1
        out.append(Coverage(requirement=req, allocations=tuple(taken)))
    return tuple(out)


# ---------------------------------------------------------------- supply from a PO line's ledger


def purchase_line_supplies(
    partner_id: str,
    po_number: str,
    line: PurchaseOrderLine,
    ledger: LineLedger | None,
    *,
    unit: str,
    converter: UnitConverter,
    arrivals: Mapping[str, dt.date | None],
) -> tuple[Supply, ...] | None:
    """The supply one PO line still brings, in `unit`; None when its unit does not convert.

    `arrivals` gives each shipment id's expected delivery (None when unknown). The PO-line supply is
    returned even at quantity 0, so a rejected or cut line can be named as responsible.
    """
    led = ledger if ledger is not None else LineLedger.for_line(po_number, line)
    ratio = converter.ratio(led.unit, unit, line.buyer_item)
    if ratio is None:
        return None
    if led.cancelled:
        expected, shortfall = _ZERO, _ZERO
    elif led.ack_status is CommitmentStatus.REJECTED:
        expected, shortfall = _ZERO, led.ordered_quantity
    elif led.has_commitment and led.committed_quantity is not None:
        expected = led.committed_quantity
        shortfall = max(_ZERO, led.ordered_quantity - led.committed_quantity)
    else:
        expected, shortfall = led.ordered_quantity, _ZERO
    delivered = max(led.shipped_total, led.received_quantity)
    date = led.committed_date if led.has_commitment and led.committed_date else led.requested_date
    parts = _open_parts(led, expected, delivered, date)
    supplies = [
        Supply(
            kind=SupplyKind.PURCHASE_ORDER,
            quantity=ratio.apply(quantity),
            available_on=on,
            partner_id=partner_id,
            po_number=po_number,
            line_number=line.line_number,
            shortfall=ratio.apply(shortfall) if last else _ZERO,
        )
        for (quantity, on), last in zip(parts, [False] * (len(parts) - 1) + [True], strict=True)
    ]
    received = led.received_quantity
    by_arrival = sorted(led.shipped.items(), key=lambda kv: (arrivals.get(kv[0]) or dt.date.max, kv[0]))
    for shipment_id, quantity in by_arrival:
        counted = min(received, quantity)
        received -= counted
        if quantity - counted > 0:
            supplies.append(
                Supply(
                    kind=SupplyKind.IN_TRANSIT,
                    quantity=ratio.apply(quantity - counted),
                    available_on=arrivals.get(shipment_id),
                    partner_id=partner_id,
                    po_number=po_number,
                    line_number=line.line_number,
                    shipment_id=shipment_id,
                )
            )
    return tuple(supplies)


def _open_parts(
    led: LineLedger, expected: Decimal, delivered: Decimal, date: dt.date | None
) -> list[tuple[Decimal, dt.date | None]]:
    """(open quantity, date) per committed split still to come, earliest first; one part for the
    whole line when the commitment is not split (or is rejected, cancelled or not there yet). Never
    empty: a line with nothing left still shows (at 0, carrying its shortfall)."""
    splits = led.committed_schedule if led.has_commitment and expected > 0 else ()
    if len(splits) < 2 or sum((s.quantity for s in splits), _ZERO) != expected:
        return [(max(_ZERO, expected - delivered), date)]
    parts: list[tuple[Decimal, dt.date | None]] = []
    left = delivered
    for split in sorted(splits, key=lambda s: s.date or dt.date.max):
        counted = min(left, split.quantity)
        left -= counted
        if split.quantity - counted > 0:
            parts.append((split.quantity - counted, split.date or date))
    return parts or [(_ZERO, date)]


# ---------------------------------------------------------------- cases


def subject(order_id: str, item: str) -> str:
    return f"production:{order_id}:item:{item}"


@dataclass(frozen=True)
class PeggingResult:
    """`cases`: the production_at_risk cases to open (or refresh). Every other active case of this
    item and plant (found by `details["item"]` and `details["plant"]`) is to be auto-resolved."""

    item: str
    plant: str
    coverages: tuple[Coverage, ...]
    cases: tuple[ExceptionCase, ...]

    @property
    def at_risk_subjects(self) -> frozenset[str]:
        return frozenset(c.subject for c in self.cases)


def peg(
    item: str,
    plant: str,
    unit: str,
    requirements: Sequence[Requirement],
    supplies: Sequence[Supply],
    now: dt.datetime,
) -> PeggingResult:
    """Allocate and turn every production order with a requirement at risk into one case."""
    coverages = allocate(requirements, supplies)
    by_order: dict[str, list[Coverage]] = {}
    for cov in coverages:
        if cov.at_risk:
            by_order.setdefault(cov.requirement.order_id, []).append(cov)
    cases = tuple(
        _case(item, plant, unit, order_id, covs, supplies, now) for order_id, covs in sorted(by_order.items())
    )
    return PeggingResult(item=item, plant=plant, coverages=coverages, cases=cases)


def _responsible(covs: Sequence[Coverage], supplies: Sequence[Supply]) -> list[Supply]:
    """Late supply allocated to these requirements and, when short, the PO lines with a shortfall."""
    found: dict[str, Supply] = {}
    for cov in covs:
        for a in cov.late_allocations():
            if (key := a.supply.po_line) is not None:
                found.setdefault(key, a.supply)
    if any(c.short > 0 for c in covs):
        for s in sorted(supplies, key=Supply.sort_key):
            if s.shortfall > 0 and (key := s.po_line) is not None:
                found.setdefault(key, s)
    return sorted(found.values(), key=lambda s: (s.po_number or "", s.line_number or ""))


def _case(
    item: str,
    plant: str,
    unit: str,
    order_id: str,
    covs: Sequence[Coverage],
    supplies: Sequence[Supply],
    now: dt.datetime,
) -> ExceptionCase:
    needed = sum((c.requirement.quantity for c in covs), _ZERO)
    short = sum((c.short for c in covs), _ZERO)
    days_late = max(c.days_late for c in covs)
    need_date = min(c.requirement.need_date for c in covs)
    dates = [d for c in covs if (d := c.supply_date) is not None]
    supply_date = max(dates) if dates else None
    undated = any(c.undated for c in covs)
    lines = _responsible(covs, supplies)
    first = lines[0] if lines else None

    problems: list[str] = []
    if short > 0:
        problems.append(f"{fmt_decimal(short)} {unit} short")
    if days_late > 0 and supply_date is not None:
        problems.append(f"supply arrives {supply_date.isoformat()}, {days_late} day(s) late")
    if undated:
        problems.append("some supply has no date")
    blamed = ", ".join(f"PO {s.po_number} line {s.line_number}" for s in lines) or "no purchase order"
    message = (
        f"{order_id} needs {fmt_decimal(needed)} {unit} of {item} at {plant} on {need_date.isoformat()}: "
        f"{'; '.join(problems)} (through {blamed})"
    )
    covered = needed - short
    actual = f"{fmt_decimal(covered)} {unit}" + (
        f" by {supply_date.isoformat()}" if supply_date is not None else ""
    )
    return ExceptionCase(
        type=ExceptionType.PRODUCTION_AT_RISK,
        severity=Severity.CRITICAL if short > 0 else Severity.HIGH,
        # A case belongs to one partner: the first responsible PO line's (none when nothing was ordered).
        partner_id=(first.partner_id or "") if first is not None else "",
        subject=subject(order_id, item),
        po_number=first.po_number if first is not None else None,
        line_number=first.line_number if first is not None else None,
        expected=f"{fmt_decimal(needed)} {unit} by {need_date.isoformat()}",
        actual=actual,
        message=message,
        owner=OWNERS[ExceptionType.PRODUCTION_AT_RISK],
        impacted_production_orders=(order_id,),
        opened_at=now,
        details={
            "production_order": order_id,
            "item": item,
            "plant": plant,
            "unit": unit,
            "need_date": need_date.isoformat(),
            "expected_supply_date": supply_date.isoformat() if supply_date is not None else "",
            "quantity_needed": fmt_decimal(needed),
            "quantity_short": fmt_decimal(short),
            "days_late": str(days_late),
            "po_lines": ",".join(s.po_line or "" for s in lines),
        },
    )
