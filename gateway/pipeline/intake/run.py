"""What every format's intake shares: interchange and document rows, duplicates, correlation, steps.

Format readers (`intake/x12.py`, ...) call, per interchange:

    ic = run.open_interchange(format="x12", sender=..., control_number=..., partner=..., ...)
    run.document(ic, DocumentOutcome(...))      # for each document in it
    run.close_interchange(ic, issues)           # envelope-level issues (rejects the interchange)
    run.acknowledged(message)                   # the ack the reader wrote, if any

An interchange is skipped (its documents are neither stored nor correlated) when it duplicates an
earlier one (the same bytes, or the same partner and control number within the partner's window) or
when no partner file names its sender (a `document_rejected` case says so). A test document from a
partner in production mode is mapped and stored but never changes production state.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from gateway import canonical, correlation
from gateway.formats.issues import Issue, Severity
from gateway.mapping import Event as MappedEvent
from gateway.partners.model import Mode, PartnerConfig
from gateway.pipeline.correlate import Applier
from gateway.pipeline.reports import DocumentReport, ReceiptReport
from gateway.pipeline.runtime import Runtime
from gateway.pipeline.translate import DocumentOutcome
from gateway.store import models as db
from gateway.store.repositories.intake import (
    DocumentRepository,
    InterchangeRepository,
    ProcessingStepRepository,
)


@dataclass(slots=True)
class OpenInterchange:
    """An interchange being read: its row, its partner and whether its documents are skipped."""

    id: str
    format: str
    control_number: str
    partner: PartnerConfig | None
    partner_id: str
    is_test: bool
    duplicate_of: str | None = None  # an earlier interchange with the same partner and number
    skip: bool = False  # a duplicate, or from a sender no partner file names
    outcomes: list[DocumentOutcome] = field(default_factory=list)


Reader = Callable[["IntakeRun"], None]


class IntakeRun:
    """The processing of one receipt, shared by every format's reader."""

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
        self.duplicate_of = duplicate_of  # an earlier receipt with the same bytes
        self.applier = Applier(
            session, correlation_id=receipt.correlation_id or receipt.id, now=now, partners=rt.partners
        )
        self.documents = DocumentRepository(session)
        self.steps = ProcessingStepRepository(session)
        self.interchanges = InterchangeRepository(session)

    @property
    def correlation_id(self) -> str:
        return self.applier.correlation_id

    # ------------------------------------------------------------------ interchanges

    def open_interchange(
        self,
        *,
        format: str,
        sender: str,
        receiver: str,
        control_number: str,
        partner: PartnerConfig | None,
        partner_id: str,
        is_test: bool,
        prepared_at: dt.datetime | None,
        window_days: int,
    ) -> OpenInterchange:
        """Record an interchange (status accepted or duplicate) and decide whether its documents are
        processed. `partner` None means the sender is unknown: a `document_rejected` case opens."""
        earlier = None
        if partner is not None:
            earlier = self.interchanges.find_duplicate(
                partner_id, format, control_number, self.now - dt.timedelta(days=window_days)
            )
        duplicate_of = earlier.id if earlier is not None else None
        duplicate = duplicate_of is not None or self.duplicate_of is not None
        ic = OpenInterchange(
            id=str(uuid.uuid4()),
            format=format,
            control_number=control_number,
            partner=partner,
            partner_id=partner_id,
            is_test=is_test,
            duplicate_of=duplicate_of,
            skip=duplicate or partner is None,
        )
        self.interchanges.add(
            id=ic.id,
            receipt_id=self.receipt.id,
            format=format,
            sender=sender,
            receiver=receiver,
            control_number=control_number,
            received_at=self.now,
            partner_id=partner.id if partner else None,
            is_test=is_test,
            prepared_at=prepared_at,
            status=db.InterchangeStatus.DUPLICATE if duplicate else db.InterchangeStatus.ACCEPTED,
            duplicate_of_id=duplicate_of,
        )
        if partner is None:
            self.applier.document_rejected(
                partner_id=partner_id,
                subject=f"sender:{partner_id}",
                message=f"interchange {control_number} comes from {partner_id}, which no partner file names",
                document_id=None,
                actual=partner_id,
            )
        elif duplicate_of is not None:
            self.steps.record(
                stage=db.Stage.PARSED,
                status=db.StepStatus.DUPLICATE,
                receipt_id=self.receipt.id,
                detail=f"interchange {control_number} from {partner_id} was received before",
                at=self.now,
            )
        return ic

    def close_interchange(self, ic: OpenInterchange, issues: Sequence[Issue]) -> None:
        """Envelope-level issues: an error among them rejects the interchange (a skipped one keeps
        its duplicate status)."""
        if any(i.severity is Severity.ERROR for i in issues) and not ic.skip:
            self.interchanges.set_status(ic.id, db.InterchangeStatus.REJECTED, issues=issues)

    def acknowledged(self, message: db.OutboundMessage) -> None:
        """The acknowledgement a reader wrote for this receipt (997, TA1, CONTRL, ...)."""
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

    # ------------------------------------------------------------------ documents

    def document(self, ic: OpenInterchange, outcome: DocumentOutcome) -> None:
        """Store one document of an interchange and, when it is mapped and may change production
        state, correlate its events. Does nothing for a skipped interchange."""
        ic.outcomes.append(outcome)
        if ic.skip:
            return
        status = db.DocumentStatus.MAPPED
        note = None
        if outcome.skipped is not None:
            status, note = db.DocumentStatus.SKIPPED, outcome.skipped
        elif outcome.rejected:
            status = db.DocumentStatus.FAILED
        partner = ic.partner
        test_only = outcome.is_test and (partner is None or partner.mode is not Mode.TEST)
        self.documents.add(
            id=outcome.document_id,
            direction=db.Direction.INBOUND,
            format=outcome.format,
            doc_type=outcome.doc_type,
            status=status,
            receipt_id=self.receipt.id,
            interchange_id=ic.id,
            partner_id=ic.partner_id,
            version=outcome.version,
            group_control=outcome.group_control,
            set_control=outcome.control_number,
            issues=outcome.issues,
            correlation_id=self.correlation_id,
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
                partner_id=ic.partner_id,
                subject=f"document:{outcome.document_id}",
                message=f"{outcome.doc_type} {outcome.control_number} rejected: {errors[0].message}"
                + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""),
                document_id=outcome.document_id,
                actual=", ".join(sorted({str(i.code) for i in errors})),
            )
        elif status is db.DocumentStatus.MAPPED and test_only:
            note = "test interchange: mapped, production state left unchanged"
        elif status is db.DocumentStatus.MAPPED:
            assert partner is not None
            self.correlate(partner, outcome.events)
            self.documents.set_status(outcome.document_id, db.DocumentStatus.CORRELATED, at=self.now)
            self.steps.record(
                stage=db.Stage.CORRELATED,
                status=db.StepStatus.OK,
                document_id=outcome.document_id,
                receipt_id=self.receipt.id,
                at=self.now,
            )
            status = db.DocumentStatus.CORRELATED
        self.report.documents.append(
            DocumentReport(
                document_id=outcome.document_id,
                doc_type=outcome.doc_type,
                control_number=outcome.control_number,
                status=str(status),
                partner_id=ic.partner_id,
                events=len(outcome.events),
                issues=list(outcome.issues),
                note=note,
            )
        )

    def correlate(self, partner: PartnerConfig, events: Sequence[MappedEvent]) -> None:
        """Apply canonical events from one partner's document to the ledger."""
        terms = correlation.PartnerTerms.from_config(partner)
        for event in events:
            if isinstance(event, canonical.Commitment):
                self.applier.commitment(event, terms)
            elif isinstance(event, canonical.Shipment):
                self.applier.shipment(event, terms)
            elif isinstance(event, canonical.FunctionalAck):
                self.applier.functional_ack(event)
            elif isinstance(event, canonical.PurchaseOrder):
                self.applier.purchase_order(event)
