"""Ship notices that say an order shipped complete without listing its items (a cXML
ShipNoticePortion without ShipNoticeItem: "the whole order shipped"): the stored purchase order
supplies the lines.

Each line of the order that is not cancelled ships what is still open of it: its ordered quantity
less what other shipments (other shipment ids) already shipped of it, in the line's unit. A line
with nothing open adds nothing. An order the gateway does not know (or that is another partner's)
adds nothing and opens an `unknown_po` case, as a shipment line naming it would.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from gateway import canonical
from gateway.canonical import ExceptionType
from gateway.correlation import cases
from gateway.formats.issues import Issue, IssueCode, Location, Severity
from gateway.mapping import Event
from gateway.pipeline.intake.run import IntakeRun, OpenInterchange
from gateway.pipeline.translate import DocumentOutcome
from gateway.store.repositories.erp import PurchaseOrderRepository


def expand(run: IntakeRun, ic: OpenInterchange, outcome: DocumentOutcome) -> DocumentOutcome:
    """The outcome with every complete order's open lines added to its shipment (a skipped
    interchange, a delete, and notices that list their items pass unchanged)."""
    if ic.skip or not any(isinstance(e, canonical.Shipment) and e.complete_orders for e in outcome.events):
        return outcome
    orders = PurchaseOrderRepository(run.session)
    issues = list(outcome.issues)
    events: list[Event] = []
    for event in outcome.events:
        if not isinstance(event, canonical.Shipment) or not event.complete_orders:
            events.append(event)
            continue
        lines = list(event.lines)
        for po_number in event.complete_orders:
            state = orders.state(po_number, partner_id=event.partner_id)
            if state is None:
                issues.append(_unknown(run, ic, outcome, event, po_number))
                continue
            for line in state.po.lines:
                if line.cancelled:
                    continue
                ledger = state.ledgers.get(line.line_number)
                elsewhere = (
                    sum((q for sid, q in ledger.shipped.items() if sid != event.shipment_id), Decimal(0))
                    if ledger is not None
                    else Decimal(0)
                )
                open_quantity = line.quantity - elsewhere
                if open_quantity > 0:
                    lines.append(
                        canonical.ShipmentLine(
                            po_number=po_number,
                            line_number=line.line_number,
                            buyer_item=line.buyer_item,
                            supplier_item=line.supplier_item,
                            quantity=open_quantity,
                            unit=line.unit,
                        )
                    )
        events.append(event.model_copy(update={"lines": tuple(lines)}))
    return replace(outcome, events=tuple(events), issues=tuple(issues))


def _unknown(
    run: IntakeRun, ic: OpenInterchange, outcome: DocumentOutcome, event: canonical.Shipment, po_number: str
) -> Issue:
    message = (
        f"shipment {event.shipment_id} says order {po_number} shipped complete, but PO {po_number} is not "
        f"an order of {event.partner_id}: no quantity is counted for it"
    )
    run.applier.open_cases(
        [
            cases.make_case(
                ExceptionType.UNKNOWN_PO,
                partner_id=event.partner_id,
                subject=cases.po_subject(po_number),
                message=message,
                now=run.now,
                po_number=po_number,
                expected=f"a PO of {event.partner_id}",
                actual=f"PO {po_number}",
                document_id=outcome.document_id,
            )
        ],
        outcome.document_id,
    )
    where = Location(file=run.receipt.file_name, interchange=ic.control_number)
    return Issue(IssueCode.MISSING_VALUE, Severity.WARNING, where, message, po_number)
