"""Apply canonical events to the store: load the PO state, call the pure correlation engine, store
the ledgers, the exception cases and one outbox event per change, all in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import canonical, correlation
from gateway.canonical import EventType, ExceptionType
from gateway.canonical.exceptions import OWNERS
from gateway.canonical.exceptions import Severity as CaseSeverity
from gateway.correlation import cases, sla
from gateway.correlation.ledger import LineLedger
from gateway.correlation.units import UnitConverter
from gateway.partners.registry import PartnerRegistry
from gateway.pipeline import pegging
from gateway.store import models as db
from gateway.store.repositories.cases import ExceptionRepository
from gateway.store.repositories.erp import PurchaseOrderRepository
from gateway.store.repositories.messaging import OutboundMessageRepository, OutboxRepository
from gateway.store.repositories.stock import GoodsReceiptRepository
from gateway.store.repositories.supply import CommitmentRepository, ShipmentRepository, UpsertOutcome

# The outbound EDIFACT documents whose interchanges a partner's CONTRL acknowledges.
EDIFACT_ACKED_KINDS = frozenset({"ORDERS"})


def group_subject(partner_id: str, functional_id: str, group_control: str) -> str:
    """The subject of cases about one of our outbound functional groups (997 missing or rejecting)."""
    return f"partner:{partner_id}:group:{functional_id}:{group_control}"


def interchange_subject(partner_id: str, reference: str) -> str:
    """The subject of a missing CONTRL for one of our EDIFACT interchanges (UNB 0020)."""
    return f"partner:{partner_id}:interchange:{reference}"


class Applier:
    """Stores what one document's events change. One instance per document."""

    def __init__(
        self,
        session: Session,
        *,
        correlation_id: str,
        now: dt.datetime,
        partners: PartnerRegistry | None = None,
    ) -> None:
        self.session = session
        self.partners = partners
        self.correlation_id = correlation_id
        self.now = now
        self.outbox = OutboxRepository(session)
        self.cases = ExceptionRepository(session)
        self.orders = PurchaseOrderRepository(session)
        self.opened: list[canonical.ExceptionCase] = []

    # ------------------------------------------------------------ events

    def emit(
        self, type_: EventType, payload: object, *, partner_id: str | None, document_id: str | None
    ) -> int:
        data = payload if isinstance(payload, canonical.CanonicalModel | dict) else {"value": str(payload)}
        return self.outbox.append(
            type=type_,
            correlation_id=self.correlation_id,
            occurred_at=getattr(payload, "occurred_at", None) or self.now,
            payload=data,
            partner_id=partner_id,
            document_id=document_id,
            recorded_at=self.now,
        )

    def open_cases(self, cases: Iterable[canonical.ExceptionCase], document_id: str | None) -> None:
        for case in cases:
            if case.document_id is None and document_id is not None:
                case = case.model_copy(update={"document_id": document_id})
            row, created = self.cases.open_or_touch(case, at=self.now)
            if created:
                self.opened.append(case)
                self.emit(
                    EventType.EXCEPTION_OPENED,
                    self.cases.canonical(row),
                    partner_id=case.partner_id,
                    document_id=document_id,
                )

    def resolve_cases(self, pairs: Iterable[tuple[ExceptionType, str]], *, note: str) -> None:
        for type_, subject in pairs:
            row = self.cases.auto_resolve(type_, subject, note=note, at=self.now)
            if row is not None:
                self.emit(
                    EventType.EXCEPTION_RESOLVED,
                    self.cases.canonical(row),
                    partner_id=row.partner_id,
                    document_id=row.document_id,
                )

    def _resolve_scope(self, scope: str, keep: set[tuple[ExceptionType, str]], note: str) -> None:
        query = select(db.ExceptionCase).where(
            db.ExceptionCase.status.in_(
                (canonical.ExceptionStatus.OPEN, canonical.ExceptionStatus.ACKNOWLEDGED)
            ),
            (db.ExceptionCase.subject == scope) | db.ExceptionCase.subject.startswith(scope + ":"),
        )
        stale = [(r.type, r.subject) for r in self.session.scalars(query) if (r.type, r.subject) not in keep]
        self.resolve_cases(stale, note=note)

    def _store(self, partner_id: str, result: correlation.CorrelationResult, document_id: str) -> None:
        for ledger in result.ledger_updates.values():
            self.orders.save_ledger(partner_id, ledger)
        opened = {(c.type, c.subject) for c in result.exceptions_to_open}
        self.resolve_cases(result.exceptions_to_resolve, note=f"cleared by document {document_id}")
        if result.resolve_scope is not None:
            self._resolve_scope(result.resolve_scope, opened, f"cleared by document {document_id}")
        self.open_cases(result.exceptions_to_open, document_id)
        self._clear_overdue(partner_id, result.ledger_updates.values(), document_id)
        self.repeg(pegging.pairs_of_lines(self.session, partner_id, result.ledger_updates), document_id)

    def _clear_overdue(self, partner_id: str, ledgers: Iterable[LineLedger], document_id: str | None) -> None:
        """Resolve `shipment_overdue` (opened by the monitors) on lines that are no longer overdue."""
        known = self.partners is not None and partner_id in self.partners
        grace = self.partners.get(partner_id).sla.ship_grace_days if self.partners and known else 0
        self.resolve_cases(
            (
                (ExceptionType.SHIPMENT_OVERDUE, cases.line_subject(led.po_number, led.line_number))
                for led in ledgers
                if sla.overdue_quantity(led, grace, self.now.date()) is None
            ),
            note=f"no longer overdue (document {document_id})" if document_id else "no longer overdue",
        )

    # ------------------------------------------------------------ production at risk

    def _converter_of(self, partner_id: str) -> UnitConverter:
        if self.partners is None or partner_id not in self.partners:
            return UnitConverter()
        return correlation.PartnerTerms.from_config(self.partners.get(partner_id)).converter

    def repeg(self, pairs: Iterable[tuple[str, str]], document_id: str | None) -> None:
        """Re-peg each (item, plant): open or refresh its production_at_risk cases, auto-resolve the
        ones now covered in time."""
        for pair in sorted(set(pairs)):
            found = pegging.evaluate(self.session, pair, self._converter_of, self.now)
            note = f"covered in time (by document {document_id})" if document_id else "covered in time"
            self.resolve_cases(((ExceptionType.PRODUCTION_AT_RISK, s) for s in found.to_resolve), note=note)
            self.open_cases(found.result.cases, document_id)

    # ------------------------------------------------------------ per event type

    def commitment(self, c: canonical.Commitment, terms: correlation.PartnerTerms) -> None:
        state = self.orders.state(c.po_number, partner_id=c.partner_id, lock=True)
        result = correlation.correlate_commitment(c, state, terms, self.now)
        line = self.orders.line(c.partner_id, c.po_number, c.line_number) if c.line_number and state else None
        CommitmentRepository(self.session).add(
            c, is_stale=result.stale, purchase_order_line_id=line.id if line else None, at=self.now
        )
        self._store(c.partner_id, result, c.document_id)
        if state is not None and not result.stale:
            self.resolve_cases(
                [(ExceptionType.NO_PO_ACK, cases.po_subject(c.po_number))],
                note=f"acknowledged by document {c.document_id}",
            )
        kind = EventType.COMMITMENT_STALE if result.stale else EventType.COMMITMENT_RECORDED
        self.emit(kind, c, partner_id=c.partner_id, document_id=c.document_id)

    def shipment(self, s: canonical.Shipment, terms: correlation.PartnerTerms) -> None:
        shipments = ShipmentRepository(self.session)
        # Locks first (the shipment, then its POs in order), so concurrent workers take turns.
        previous = shipments.get(s.partner_id, s.shipment_id, lock=True)
        po_numbers = {line.po_number for line in s.lines}
        known: canonical.VersionStamp | None = None
        if previous is not None:
            po_numbers |= {
                line["po_number"] for line in previous.payload.get("lines", []) if "po_number" in line
            }
            known = canonical.VersionStamp(
                issued_at=previous.version_issued_at,
                sequence=previous.version_sequence,
                revision=previous.version_revision,
            )
        states = {
            po: state
            for po in sorted(po_numbers)
            if (state := self.orders.state(po, partner_id=s.partner_id, lock=True)) is not None
        }
        result = correlation.correlate_shipment(s, states, terms, self.now, known_version=known)
        outcome = shipments.upsert(s, at=self.now).outcome
        self._store(s.partner_id, result, s.document_id)
        kind = {
            UpsertOutcome.CREATED: EventType.SHIPMENT_RECEIVED,
            UpsertOutcome.REPLACED: EventType.SHIPMENT_REPLACED,
            UpsertOutcome.DELETED: EventType.SHIPMENT_DELETED,
        }.get(outcome)
        if kind is not None:
            self.emit(kind, s, partner_id=s.partner_id, document_id=s.document_id)

    def purchase_order(self, po: canonical.PurchaseOrder) -> None:
        """An 850 from an ERP that emits its orders as EDI: the order is imported as from JSON."""
        self.orders.upsert(po, at=self.now)
        self.emit(EventType.PURCHASE_ORDER_IMPORTED, po, partner_id=po.partner_id, document_id=None)
        if po.plant is not None:
            self.repeg(((line.buyer_item, po.plant) for line in po.lines), None)

    def goods_receipt(self, gr: canonical.GoodsReceipt) -> bool:
        """Record an ERP goods receipt and set its line's received quantity to the sum of the line's
        receipts (in the line's unit), so the same receipt id again never counts twice. Receipts in a
        unit that does not convert are recorded and not counted. False when the PO line is unknown."""
        receipts = GoodsReceiptRepository(self.session)
        receipts.upsert(gr, at=self.now)
        row = self.orders.get(gr.po_number, partner_id=gr.partner_id, lock=True)
        self.emit(
            EventType.GOODS_RECEIPT_RECORDED,
            gr,
            partner_id=row.partner_id if row is not None else gr.partner_id,
            document_id=None,
        )
        state = self.orders.state(gr.po_number, partner_id=row.partner_id) if row is not None else None
        line = state.po.line(gr.line_number) if state is not None else None
        if state is None or line is None:
            return False
        partner_id = state.po.partner_id
        ledger = state.ledger(line)
        convert = self._converter_of(partner_id)
        received = [
            convert.convert(r.quantity, r.unit, ledger.unit, line.buyer_item)
            for r in receipts.for_line(partner_id, gr.po_number, gr.line_number)
        ]
        total = sum((q for q in received if q is not None), Decimal(0))
        if state.ledgers.get(line.line_number) is None or total != ledger.received_quantity:
            after = ledger.model_copy(update={"received_quantity": total})
            self.orders.save_ledger(partner_id, after)
            self._clear_overdue(partner_id, [after], None)
            if state.po.plant is not None:
                self.repeg([(line.buyer_item, state.po.plant)], None)
        return True

    def functional_ack(self, ack: canonical.FunctionalAck) -> None:
        messages = OutboundMessageRepository(self.session)
        self.emit(
            EventType.FUNCTIONAL_ACK_RECEIVED, ack, partner_id=ack.partner_id, document_id=ack.document_id
        )
        sent = messages.find_by_group(ack.partner_id, ack.group_control_number)
        # Group control numbers are per partner: the subject names the partner, or two partners'
        # group 1 would be one case.
        subject = group_subject(ack.partner_id, ack.functional_id, ack.group_control_number)
        if sent is None:
            return
        status = {
            canonical.AckStatus.ACCEPTED: db.OutboundStatus.ACCEPTED,
            canonical.AckStatus.ACCEPTED_WITH_ERRORS: db.OutboundStatus.ACCEPTED_WITH_ERRORS,
            canonical.AckStatus.PARTIALLY_ACCEPTED: db.OutboundStatus.ACCEPTED_WITH_ERRORS,
            canonical.AckStatus.REJECTED: db.OutboundStatus.REJECTED,
        }[ack.status]
        messages.set_status(sent.id, status, ack_document_id=ack.document_id, acked_at=self.now)
        if sent.kind in EDIFACT_ACKED_KINDS:
            awaited = interchange_subject(
                ack.partner_id, sent.interchange_control or ack.group_control_number
            )
            self.resolve_cases([(ExceptionType.NO_FUNCTIONAL_ACK, awaited)], note="CONTRL received")
        else:
            self.resolve_cases([(ExceptionType.NO_FUNCTIONAL_ACK, subject)], note="997 received")
        if ack.status in (canonical.AckStatus.REJECTED, canonical.AckStatus.PARTIALLY_ACCEPTED):
            errors = "; ".join(e for s in ack.sets for e in s.errors) or "no detail given"
            self.open_cases(
                [
                    canonical.ExceptionCase(
                        type=ExceptionType.TRANSMISSION_REJECTED,
                        severity=CaseSeverity.HIGH,
                        partner_id=ack.partner_id,
                        subject=subject,
                        expected="accepted",
                        actual=str(ack.status),
                        message=(
                            f"the partner {ack.status} our {sent.kind} group "
                            f"{ack.group_control_number}: {errors}"
                        ),
                        owner=OWNERS[ExceptionType.TRANSMISSION_REJECTED],
                        document_id=ack.document_id,
                        opened_at=self.now,
                    )
                ],
                ack.document_id,
            )

    def document_rejected(
        self, *, partner_id: str, subject: str, message: str, document_id: str | None, actual: str
    ) -> None:
        case = canonical.ExceptionCase(
            type=ExceptionType.DOCUMENT_REJECTED,
            severity=CaseSeverity.HIGH,
            partner_id=partner_id,
            subject=subject,
            expected="a valid document",
            actual=actual,
            message=message,
            owner=OWNERS[ExceptionType.DOCUMENT_REJECTED],
            document_id=document_id,
            opened_at=self.now,
        )
        self.emit(
            EventType.DOCUMENT_REJECTED,
            {"subject": subject, "message": message},
            partner_id=partner_id,
            document_id=document_id,
        )
        self.open_cases([case], document_id)
