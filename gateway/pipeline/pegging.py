"""Production at risk in the store: load the supply and demand of one item at one plant, peg them
(`correlation.pegging`), and say which production_at_risk cases to open and which to auto-resolve.

The `Applier` calls `evaluate` for every (item, plant) an event touched: a PO imported or revised, a
commitment or shipment applied to a line, a goods receipt, a production order imported or changed.

Units: the pegging's unit is the unit of the item's earliest requirement at the plant. PO lines are
converted to it with their partner's conversions (item-specific first, as `UnitConverter` does);
a line that does not convert is left out of the supply. Requirements in another unit than the
first are left out too, and so is on-hand stock in another unit (the ERP states demand and stock in
one unit per item; there is no buyer-side conversion table).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from gateway.canonical import ExceptionType
from gateway.correlation import pegging
from gateway.correlation.units import UnitConverter
from gateway.store.repositories.cases import ExceptionRepository
from gateway.store.repositories.erp import ProductionOrderRepository, PurchaseOrderRepository
from gateway.store.repositories.stock import StockRepository
from gateway.store.repositories.supply import ShipmentRepository

Pair = tuple[str, str]  # (item, plant)
ConverterOf = Callable[[str], UnitConverter]  # partner id -> its conversions


@dataclass(frozen=True)
class Evaluation:
    result: pegging.PeggingResult
    to_resolve: tuple[str, ...]  # subjects of active cases of this item and plant no longer at risk


def evaluate(session: Session, pair: Pair, converter_of: ConverterOf, now: dt.datetime) -> Evaluation:
    item, plant = pair
    rows = ProductionOrderRepository(session).requirements(item, plant=plant)
    unit = rows[0].unit if rows else ""
    requirements = [
        pegging.Requirement(order_id=r.production_order.order_id, quantity=r.quantity, need_date=r.need_on)
        for r in rows
        if r.unit == unit
    ]
    supplies: list[pegging.Supply] = []
    if requirements:
        stock = StockRepository(session).get(item, plant)
        if stock is not None and stock.unit == unit:
            supplies.append(pegging.Supply(kind=pegging.SupplyKind.ON_HAND, quantity=stock.quantity))
        supplies.extend(_purchase_supplies(session, item, plant, unit, converter_of))
    result = pegging.peg(item, plant, unit, requirements, supplies, now)
    keep = result.at_risk_subjects
    active = ExceptionRepository(session).active_ending_with(
        ExceptionType.PRODUCTION_AT_RISK, f":item:{item}"
    )
    to_resolve = tuple(
        row.subject for row in active if row.details.get("plant") == plant and row.subject not in keep
    )
    return Evaluation(result=result, to_resolve=to_resolve)


def _purchase_supplies(
    session: Session, item: str, plant: str, unit: str, converter_of: ConverterOf
) -> list[pegging.Supply]:
    out: list[pegging.Supply] = []
    shipments = ShipmentRepository(session)
    for state in PurchaseOrderRepository(session).states_for_item(item, plant):
        partner_id = state.po.partner_id
        for line in state.po.lines:
            if line.buyer_item != item:
                continue
            ledger = state.ledger(line)
            arrivals = shipments.arrivals(partner_id, ledger.shipped)
            found = pegging.purchase_line_supplies(
                partner_id,
                state.po.po_number,
                line,
                ledger,
                unit=unit,
                converter=converter_of(partner_id),
                arrivals=arrivals,
            )
            out.extend(found or ())
    return out


def pairs_of_lines(session: Session, partner_id: str, keys: Iterable[tuple[str, str]]) -> set[Pair]:
    """The (item, plant) of each (PO number, line number) of a partner."""
    wanted = list(keys)
    orders = PurchaseOrderRepository(session)
    pairs: set[Pair] = set()
    for po_number in sorted({po for po, _ in wanted}):
        state = orders.state(po_number, partner_id=partner_id)
        if state is None or state.po.plant is None:
            continue
        numbers = {ln for po, ln in wanted if po == po_number}
        pairs |= {(ln.buyer_item, state.po.plant) for ln in state.po.lines if ln.line_number in numbers}
    return pairs
