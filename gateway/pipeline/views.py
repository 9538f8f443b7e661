"""Read-only summaries for people: what became of a receipt, the PO ledgers, the open exceptions."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from gateway.store import models as db
from gateway.store.repositories.cases import ACTIVE
from gateway.store.repositories.erp import PurchaseOrderRepository


@dataclass(frozen=True)
class DocumentView:
    document_id: str
    partner_id: str | None
    doc_type: str
    control_number: str | None
    status: str
    events: int
    issues: int
    file_name: str | None


@dataclass(frozen=True)
class ReceiptView:
    receipt_id: str
    file_name: str | None
    status: str
    error: str | None
    documents: tuple[DocumentView, ...]
    acks: tuple[str, ...]  # what was acknowledged, e.g. "997 in interchange 000000001"


@dataclass(frozen=True)
class LineView:
    partner_id: str
    po_number: str
    line_number: str
    item: str
    ordered: Decimal
    unit: str
    requested_on: str
    ack_status: str
    committed: Decimal | None
    committed_on: str
    shipped: Decimal


@dataclass(frozen=True)
class CaseView:
    id: int
    type: str
    partner_id: str
    po_number: str | None
    line_number: str | None
    expected: str | None
    actual: str | None
    owner: str
    status: str
    message: str


def _events_by_document(session: Session, document_ids: list[str]) -> dict[str, int]:
    if not document_ids:
        return {}
    query = (
        select(db.OutboxEvent.document_id, func.count())
        .where(db.OutboxEvent.document_id.in_(document_ids))
        .group_by(db.OutboxEvent.document_id)
    )
    return {str(doc): int(n) for doc, n in session.execute(query).all()}


def _documents(session: Session, query: Select[db.Document, str | None]) -> tuple[DocumentView, ...]:
    rows = session.execute(query).all()
    counts = _events_by_document(session, [r[0].id for r in rows])
    return tuple(
        DocumentView(
            document_id=d.id,
            partner_id=d.partner_id,
            doc_type=d.doc_type,
            control_number=d.set_control,
            status=str(d.status),
            events=counts.get(d.id, 0),
            issues=len(d.issues),
            file_name=name,
        )
        for d, name in rows
    )


def receipt(session: Session, receipt_id: str) -> ReceiptView:
    row = session.get(db.Receipt, receipt_id)
    if row is None:
        raise LookupError(receipt_id)
    query = (
        select(db.Document, db.Receipt.file_name)
        .join(db.Receipt, db.Receipt.id == db.Document.receipt_id)
        .where(db.Document.receipt_id == receipt_id)
        .order_by(db.Document.created_at, db.Document.id)
    )
    steps = session.scalars(
        select(db.ProcessingStep)
        .where(db.ProcessingStep.receipt_id == receipt_id, db.ProcessingStep.stage == db.Stage.ACKNOWLEDGED)
        .order_by(db.ProcessingStep.id)
    ).all()
    return ReceiptView(
        receipt_id=row.id,
        file_name=row.file_name,
        status=str(row.status),
        error=row.error,
        documents=_documents(session, query),
        acks=tuple(s.detail or "" for s in steps),
    )


def inbound_documents(session: Session) -> tuple[DocumentView, ...]:
    query = (
        select(db.Document, db.Receipt.file_name)
        .join(db.Receipt, db.Receipt.id == db.Document.receipt_id)
        .where(db.Document.direction == db.Direction.INBOUND)
        .order_by(db.Receipt.received_at, db.Document.id)
    )
    return _documents(session, query)


def ledger_lines(session: Session) -> list[LineView]:
    out: list[LineView] = []
    for po in PurchaseOrderRepository(session).list(with_lines=True, limit=10_000):
        for line in sorted(po.lines, key=lambda ln: (len(ln.line_number), ln.line_number)):
            out.append(
                LineView(
                    partner_id=po.partner_id,
                    po_number=po.po_number,
                    line_number=line.line_number,
                    item=line.buyer_item,
                    ordered=line.quantity,
                    unit=line.unit,
                    requested_on=str(line.requested_on or ""),
                    ack_status=line.ack_status or "-",
                    committed=line.committed_quantity,
                    committed_on=str(line.committed_on or ""),
                    shipped=line.shipped_quantity,
                )
            )
    return out


def open_cases(session: Session) -> list[CaseView]:
    query = (
        select(db.ExceptionCase)
        .where(db.ExceptionCase.status.in_(ACTIVE))
        .order_by(db.ExceptionCase.po_number, db.ExceptionCase.line_number, db.ExceptionCase.id)
    )
    return [
        CaseView(
            id=c.id,
            type=str(c.type),
            partner_id=c.partner_id,
            po_number=c.po_number,
            line_number=c.line_number,
            expected=c.expected,
            actual=c.actual,
            owner=str(c.owner),
            status=str(c.status),
            message=c.message,
        )
        for c in session.scalars(query)
    ]
