"""Typed builders for API tests: data goes in through the repositories, as the pipeline writes it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from gateway import canonical
from gateway.canonical.exceptions import OWNERS, Severity
from gateway.correlation.ledger import LineLedger
from gateway.formats.issues import Issue, IssueCode, Location
from gateway.formats.issues import Severity as IssueSeverity
from gateway.kit import ids
from gateway.pipeline.runtime import Runtime
from gateway.store import models as db
from gateway.store import repositories as repo
from gateway.store.session import session_scope

AT = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
RAW_855 = (
    b"ISA*00*          *00*          *ZZ*ACME           *ZZ*GATEWAYBUYER   "
    b"*260302*0930*U*00401*000000042*0*P*>~"
)


def raw_bytes(partner_id: str, file_name: str) -> bytes:
    """Distinct bytes per partner and file (document ids derive from the content hash)."""
    return RAW_855 + f"{partner_id}:{file_name}".encode()


@dataclass(frozen=True)
class StoredDocument:
    receipt_id: str
    document_id: str
    event_cursor: int


def make_document(session: Session, partner_id: str, *, file_name: str = "acme 855.edi") -> StoredDocument:
    """A receipt with one interchange and one 855 document, its trace and one event."""
    raw = raw_bytes(partner_id, file_name)
    receipt = repo.ReceiptRepository(session).add(
        id=ids.new_receipt_id(),
        channel="filedrop",
        raw=raw,
        received_at=AT,
        file_name=file_name,
        partner_id=partner_id,
    )
    interchange = repo.InterchangeRepository(session).add(
        id=ids.new_receipt_id(),
        receipt_id=receipt.id,
        format="x12",
        sender="ACME",
        receiver="GATEWAYBUYER",
        control_number="000000042",
        received_at=AT,
        partner_id=partner_id,
    )
    issue = Issue(
        code=IssueCode.UNRECOGNIZED_SEGMENT,
        severity=IssueSeverity.WARNING,
        location=Location(transaction="0001", segment_position=4, segment_tag="ZZZ"),
        message="segment ZZZ is not in the 855",
    )
    document_id = ids.document_id(receipt.content_sha256, 0)
    repo.DocumentRepository(session).add(
        id=document_id,
        direction=db.Direction.INBOUND,
        format="x12",
        doc_type="855",
        version="004010",
        receipt_id=receipt.id,
        interchange_id=interchange.id,
        partner_id=partner_id,
        group_control="42",
        set_control="0001",
        status=db.DocumentStatus.CORRELATED,
        issues=[issue],
        correlation_id=document_id,
        at=AT,
    )
    steps = repo.ProcessingStepRepository(session)
    steps.record(stage=db.Stage.RECEIVED, status=db.StepStatus.OK, receipt_id=receipt.id, at=AT)
    steps.record(
        stage=db.Stage.PARSED, status=db.StepStatus.OK, document_id=document_id, issues=[issue], at=AT
    )
    steps.record(stage=db.Stage.MAPPED, status=db.StepStatus.OK, document_id=document_id, at=AT)
    cursor = repo.OutboxRepository(session).append(
        type=canonical.EventType.COMMITMENT_RECORDED,
        correlation_id=document_id,
        occurred_at=AT,
        payload=make_commitment(partner_id, "PO-1", document_id),
        partner_id=partner_id,
        document_id=document_id,
        recorded_at=AT,
    )
    return StoredDocument(receipt_id=receipt.id, document_id=document_id, event_cursor=cursor)


def make_commitment(partner_id: str, po_number: str, document_id: str) -> canonical.Commitment:
    return canonical.Commitment(
        partner_id=partner_id,
        document_id=document_id,
        occurred_at=AT,
        po_number=po_number,
        line_number="1",
        status=canonical.CommitmentStatus.ACCEPTED_WITH_CHANGES,
        quantity=Decimal(80),
        unit="EA",
        committed_date=dt.date(2026, 3, 20),
        unit_price=Decimal("0.12"),
        version=canonical.VersionStamp(issued_at=AT, sequence=42),
    )


def make_purchase_order(session: Session, partner_id: str, po_number: str) -> db.PurchaseOrder:
    """A two-line PO; line 1 committed (80 of 100: 50 on the 15th, 30 shipped on the 20th) and
    shipped 30, line 2 over-shipped."""
    po = canonical.PurchaseOrder(
        po_number=po_number,
        partner_id=partner_id,
        plant="P100",
        currency="USD",
        order_date=dt.date(2026, 3, 1),
        lines=(
            canonical.PurchaseOrderLine(
                line_number="1",
                buyer_item="BOLT-M8",
                supplier_item="AF-100",
                quantity=Decimal(100),
                unit="EA",
                unit_price=Decimal("0.12"),
                requested_date=dt.date(2026, 3, 15),
            ),
            canonical.PurchaseOrderLine(
                line_number="2", buyer_item="NUT-M8", quantity=Decimal(10), unit="EA"
            ),
        ),
    )
    purchase_orders = repo.PurchaseOrderRepository(session)
    row = purchase_orders.upsert(po, at=AT)
    version = canonical.VersionStamp(issued_at=AT, sequence=42)
    purchase_orders.save_ledger(
        partner_id,
        LineLedger.for_line(po_number, po.lines[0]).model_copy(
            update={
                "ack_status": canonical.CommitmentStatus.ACCEPTED_WITH_CHANGES,
                "committed_quantity": Decimal(80),
                "committed_date": dt.date(2026, 3, 20),
                "committed_price": Decimal("0.12"),
                "committed_schedule": (
                    canonical.ScheduleLine(quantity=Decimal(50), unit="EA", date=dt.date(2026, 3, 15)),
                    canonical.ScheduleLine(
                        quantity=Decimal(30), unit="EA", date=dt.date(2026, 3, 20), date_kind="ship"
                    ),
                ),
                "commitment_version": version,
                "shipped": {"SH-1": Decimal(30)},
                "received_quantity": Decimal(20),
            }
        ),
    )
    purchase_orders.save_ledger(
        partner_id,
        LineLedger.for_line(po_number, po.lines[1]).model_copy(update={"shipped": {"SH-1": Decimal(12)}}),
    )
    return row


def make_exception(session: Session, partner_id: str, po_number: str = "PO-1") -> db.ExceptionCase:
    row, _ = repo.ExceptionRepository(session).open_or_touch(
        canonical.ExceptionCase(
            type=canonical.ExceptionType.QUANTITY_SHORT,
            severity=Severity.MEDIUM,
            partner_id=partner_id,
            subject=f"po:{po_number}:line:1",
            po_number=po_number,
            line_number="1",
            expected="100 EA",
            actual="80 EA",
            message="committed 80 EA of 100 EA",
            owner=OWNERS[canonical.ExceptionType.QUANTITY_SHORT],
            opened_at=AT,
        ),
        at=AT,
    )
    return row


def make_document_in(runtime: Runtime, partner_id: str, file_name: str) -> StoredDocument:
    """`make_document` in its own committed transaction."""
    with session_scope(runtime.sessionmaker) as session:
        return make_document(session, partner_id, file_name=file_name)
