"""Intake: store the raw bytes first, then read, de-duplicate, map, correlate and acknowledge.

    receive(rt, data, ...)          raw bytes committed, `ingest.process_receipt` enqueued
    process_receipt(session, rt, id)  the whole story of one receipt, safe to run twice

Nothing is acknowledged before the bytes are stored. A duplicate (same bytes, or the same partner
and ISA13 within the partner's window) emits no events and is acknowledged again.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import uuid
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from gateway import canonical, correlation
from gateway.errors import FormatError
from gateway.formats import detect
from gateway.formats.issues import Issue, Severity
from gateway.formats.x12 import ack as x12_ack
from gateway.formats.x12 import model as x12
from gateway.kit import ids
from gateway.partners.model import FunctionalAckKind, PartnerConfig
from gateway.pipeline import translate
from gateway.pipeline.correlate import Applier
from gateway.pipeline.outbound import deliver_x12, x12_envelope
from gateway.pipeline.runtime import Runtime
from gateway.store import models as db
from gateway.store.repositories.intake import (
    DocumentRepository,
    InterchangeRepository,
    ProcessingStepRepository,
    ReceiptRepository,
)
from gateway.store.session import session_scope

log = logging.getLogger(__name__)
PROCESS_JOB = "ingest.process_receipt"


@dataclass
class DocumentReport:
    document_id: str
    doc_type: str
    control_number: str
    status: str
    partner_id: str
    events: int
    issues: list[Issue] = field(default_factory=list)
    note: str | None = None


@dataclass
class ReceiptReport:
    receipt_id: str
    file_name: str | None
    status: str
    documents: list[DocumentReport] = field(default_factory=list)
    acks: list[str] = field(default_factory=list)  # outbound message ids
    ack_paths: list[str] = field(default_factory=list)
    detail: str | None = None
    exceptions_opened: int = 0


def receive(
    rt: Runtime,
    data: bytes,
    *,
    channel: str,
    file_name: str | None = None,
    partner_id: str | None = None,
    receipt_id: str | None = None,
) -> str:
    """Store the bytes (committed before anything else happens) and enqueue their processing.

    A caller that passes its own `receipt_id` can tell, when this raises, whether the bytes were
    stored (the receipt exists: processing failed after the commit) or not."""
    if partner_id is not None:
        rt.partners.get(partner_id)  # an unknown partner is refused before anything is stored
    receipt_id = receipt_id or ids.new_receipt_id()
    with session_scope(rt.sessionmaker) as session:
        ReceiptRepository(session).add(
            id=receipt_id,
            channel=channel,
            raw=data,
            received_at=rt.clock.now(),
            file_name=file_name,
            partner_id=partner_id,
            correlation_id=receipt_id,
        )
        ProcessingStepRepository(session).record(
            stage=db.Stage.RECEIVED, status=db.StepStatus.OK, receipt_id=receipt_id, at=rt.clock.now()
        )
        rt.jobs.enqueue_after_commit(session, PROCESS_JOB, receipt_id)
    return receipt_id


def process_receipt(session: Session, rt: Runtime, receipt_id: str) -> ReceiptReport:
    """Process one stored receipt. Running it again on a processed receipt changes nothing."""
    receipts = ReceiptRepository(session)
    receipt = receipts.require(receipt_id)
    report = ReceiptReport(receipt_id, receipt.file_name, str(receipt.status))
    if receipt.status is not db.ReceiptStatus.RECEIVED:
        return report
    steps = ProcessingStepRepository(session)
    now = rt.clock.now()
    original = receipts.find_by_sha256(receipt.content_sha256, exclude_id=receipt.id)
    fmt = detect.detect(receipt.raw[: translate.HEAD_BYTES])
    run = _Run(session, rt, receipt, report, now, duplicate_of=original.id if original else None)
    try:
        if fmt is not detect.Format.X12:
            raise translate.unsupported(fmt, receipt.file_name)
        run.read_x12()
    except FormatError as exc:
        detail = exc.describe()
        receipts.set_status(receipt.id, db.ReceiptStatus.FAILED, error=detail)
        steps.record(
            stage=db.Stage.PARSED, status=db.StepStatus.FAILED, receipt_id=receipt.id, detail=detail, at=now
        )
        run.applier.document_rejected(
            partner_id=receipt.partner_id or "unknown",
            subject=f"receipt:{receipt.id}",
            message=f"unreadable file: {detail}",
            document_id=None,
            actual=type(exc).__name__,
        )
        report.status, report.detail = "failed", detail
        return report
    if original is not None:
        receipts.set_status(receipt.id, db.ReceiptStatus.DUPLICATE, duplicate_of_id=original.id)
        steps.record(
            stage=db.Stage.PARSED,
            status=db.StepStatus.DUPLICATE,
            receipt_id=receipt.id,
            detail=f"same bytes as receipt {original.id}",
            at=now,
        )
        report.status = "duplicate"
    else:
        receipts.set_status(receipt.id, db.ReceiptStatus.PROCESSED)
        report.status = "processed"
    report.exceptions_opened = len(run.applier.opened)
    return report


class _Run:
    """The processing of one receipt: interchange by interchange, set by set."""

    def __init__(
        self,
        session: Session,
        rt: Runtime,
        receipt: db.Receipt,
        report: ReceiptReport,
        now: dt.datetime,
        *,
        duplicate_of: str | None,
    ) -> None:
        self.session, self.rt, self.receipt, self.report, self.now = session, rt, receipt, report, now
        self.duplicate_of = duplicate_of
        self.applier = Applier(
            session, correlation_id=receipt.correlation_id or receipt.id, now=now, partners=rt.partners
        )
        self.documents = DocumentRepository(session)
        self.steps = ProcessingStepRepository(session)
        self.interchanges = InterchangeRepository(session)
        # per interchange
        self.header: x12.InterchangeHeader | None = None
        self.partner: PartnerConfig | None = None
        self.partner_id = ""
        self.interchange_id: str | None = None
        self.skip_sets = False
        self.acks: x12_ack.AckBuilder | None = None

    def read_x12(self) -> None:
        items = translate.translate_x12(
            io.BytesIO(self.receipt.raw),
            content_sha256=self.receipt.content_sha256,
            maps=self.rt.maps,
            partners=self.rt.partners,
            partner_id=self.receipt.partner_id,
            file_name=self.receipt.file_name,
        )
        for item in items:
            if isinstance(item, x12.InterchangeOpened):
                self.header, self.interchange_id, self.acks = item.header, None, None
                continue
            if self.interchange_id is None and self.header is not None:
                group = item.header if isinstance(item, x12.GroupOpened) else None
                self._open_interchange(self.header, group)
            assert self.acks is not None
            if isinstance(item, translate.SetOutcome):
                self.acks.feed(item.ts, item.map_issues)
                if not self.skip_sets:
                    self._document(item)
                continue
            self.acks.feed(item)
            if isinstance(item, x12.InterchangeClosed):
                self._close_interchange(item)

    def _open_interchange(self, header: x12.InterchangeHeader, group: x12.GroupHeader | None) -> None:
        self.partner, self.partner_id = translate.partner_for(
            header, group, self.rt.partners, self.receipt.partner_id
        )
        functional, ta1 = x12_ack.FunctionalAck.X997, x12_ack.TA1Policy.ON_REQUEST
        if self.partner is not None and self.partner.x12 is not None:
            functional = x12_ack.FunctionalAck(str(self.partner.x12.functional_ack))
            ta1 = x12_ack.TA1Policy(str(self.partner.x12.ta1))
        self.acks = x12_ack.AckBuilder(functional=functional, ta1=ta1)
        window = self.partner.x12.duplicate_window_days if self.partner and self.partner.x12 else 90
        earlier = None
        if self.partner is not None:
            earlier = self.interchanges.find_duplicate(
                self.partner_id, "x12", header.control_number, self.now - dt.timedelta(days=window)
            )
        duplicate_of = earlier.id if earlier is not None else None
        status = (
            db.InterchangeStatus.DUPLICATE
            if duplicate_of or self.duplicate_of
            else db.InterchangeStatus.ACCEPTED
        )
        self.interchange_id = str(uuid.uuid4())
        self.interchanges.add(
            id=self.interchange_id,
            receipt_id=self.receipt.id,
            format="x12",
            sender=f"{header.sender_qualifier}:{header.sender_id}",
            receiver=f"{header.receiver_qualifier}:{header.receiver_id}",
            control_number=header.control_number,
            received_at=self.now,
            partner_id=self.partner.id if self.partner else None,
            is_test=header.is_test,
            prepared_at=header.prepared_at(),
            status=status,
            duplicate_of_id=duplicate_of,
        )
        self.skip_sets = status is db.InterchangeStatus.DUPLICATE or self.partner is None
        if self.partner is None:
            self.applier.document_rejected(
                partner_id=self.partner_id,
                subject=f"sender:{self.partner_id}",
                message=(
                    f"interchange {header.control_number} comes from {self.partner_id}, "
                    "which no partner file names"
                ),
                document_id=None,
                actual=self.partner_id,
            )
        elif duplicate_of is not None:
            self.steps.record(
                stage=db.Stage.PARSED,
                status=db.StepStatus.DUPLICATE,
                receipt_id=self.receipt.id,
                detail=f"interchange {header.control_number} from {self.partner_id} was received before",
                at=self.now,
            )

    def _document(self, outcome: translate.SetOutcome) -> None:
        ts = outcome.ts
        status = db.DocumentStatus.MAPPED
        note = None
        if outcome.skipped is not None:
            status, note = db.DocumentStatus.SKIPPED, outcome.skipped
        elif outcome.rejected:
            status = db.DocumentStatus.FAILED
        test_only = ts.interchange.is_test and (self.partner is None or self.partner.mode != "test")
        self.documents.add(
            id=outcome.document_id,
            direction=db.Direction.INBOUND,
            format="x12",
            doc_type=ts.set_id,
            status=status,
            receipt_id=self.receipt.id,
            interchange_id=self.interchange_id,
            partner_id=self.partner_id,
            version=ts.version,
            group_control=ts.group.control_number if ts.group else None,
            set_control=ts.control_number,
            issues=outcome.issues,
            correlation_id=self.applier.correlation_id,
            at=self.now,
        )
        step_status = {
            db.DocumentStatus.SKIPPED: db.StepStatus.SKIPPED,
            db.DocumentStatus.FAILED: db.StepStatus.FAILED,
        }.get(status, db.StepStatus.OK)
        self.steps.record(
            stage=db.Stage.MAPPED,
            status=step_status,
            document_id=outcome.document_id,
            receipt_id=self.receipt.id,
            detail=note,
            issues=outcome.issues,
            at=self.now,
        )
        if status is db.DocumentStatus.FAILED:
            errors = [i for i in outcome.issues if i.severity is Severity.ERROR]
            self.applier.document_rejected(
                partner_id=self.partner_id,
                subject=f"document:{outcome.document_id}",
                message=f"{ts.set_id} {ts.control_number} rejected: {errors[0].message}"
                + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""),
                document_id=outcome.document_id,
                actual=", ".join(sorted({str(i.code) for i in errors})),
            )
        elif status is db.DocumentStatus.MAPPED and not test_only:
            assert self.partner is not None
            terms = correlation.PartnerTerms.from_config(self.partner)
            for event in outcome.events:
                if isinstance(event, canonical.Commitment):
                    self.applier.commitment(event, terms)
                elif isinstance(event, canonical.Shipment):
                    self.applier.shipment(event, terms)
                elif isinstance(event, canonical.FunctionalAck):
                    self.applier.functional_ack(event)
                elif isinstance(event, canonical.PurchaseOrder):
                    self.applier.purchase_order(event)
            self.documents.set_status(outcome.document_id, db.DocumentStatus.CORRELATED, at=self.now)
            self.steps.record(
                stage=db.Stage.CORRELATED,
                status=db.StepStatus.OK,
                document_id=outcome.document_id,
                receipt_id=self.receipt.id,
                at=self.now,
            )
            status = db.DocumentStatus.CORRELATED
        elif test_only:
            note = "test interchange (ISA15 = T): mapped, production state left unchanged"
        self.report.documents.append(
            DocumentReport(
                document_id=outcome.document_id,
                doc_type=ts.set_id,
                control_number=ts.control_number,
                status=str(status),
                partner_id=self.partner_id,
                events=len(outcome.events),
                issues=list(outcome.issues),
                note=note,
            )
        )

    def _close_interchange(self, item: x12.InterchangeClosed) -> None:
        assert self.acks is not None
        assert self.interchange_id is not None
        errors = [i for i in item.issues if i.severity is Severity.ERROR]
        if errors and not self.skip_sets:
            self.interchanges.set_status(
                self.interchange_id, db.InterchangeStatus.REJECTED, issues=item.issues
            )
        acks = self.acks.result()
        if not acks or self.partner is None or self.partner.x12 is None:
            return
        if self.partner.x12.functional_ack is FunctionalAckKind.NONE:
            acks = [a for a in acks if a.kind is x12_ack.AckKind.TA1]
            if not acks:
                return
        message = deliver_x12(
            self.session,
            self.rt,
            self.partner,
            kind="+".join(sorted({str(a.kind) for a in acks})),
            now=self.now,
            render=lambda isa, gs: x12_ack.render(
                acks,
                x12_envelope(self.rt, self.partner, ack_requested=False),  # type: ignore[arg-type]
                interchange_control=isa,
                group_control=gs,
                prepared_at=self.now,
                line_break="\n",
            ),
            group=any(a.kind is not x12_ack.AckKind.TA1 for a in acks),
        )
        self.report.acks.append(message.id)
        if message.path:
            self.report.ack_paths.append(message.path)
        self.steps.record(
            stage=db.Stage.ACKNOWLEDGED,
            status=db.StepStatus.OK,
            receipt_id=self.receipt.id,
            detail=f"{message.kind} in interchange {message.interchange_control}",
            at=self.now,
        )
