"""Receipts, interchanges, documents and their processing steps (the lineage of every byte in)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence

from sqlalchemy import select, text

from gateway.errors import NotFoundError
from gateway.kit.ids import sha256_hex
from gateway.store import models as db
from gateway.store.repositories.base import IssueLike, Repository, issue_dicts


class ReceiptRepository(Repository):
    """Raw receipts. The bytes are written once by `add`; nothing here (or anywhere) updates them."""

    def add(
        self,
        *,
        id: str,
        channel: str,
        raw: bytes,
        received_at: dt.datetime,
        file_name: str | None = None,
        partner_id: str | None = None,
        correlation_id: str | None = None,
        status: db.ReceiptStatus = db.ReceiptStatus.RECEIVED,
        duplicate_of_id: str | None = None,
        transport: dict[str, str] | None = None,
    ) -> db.Receipt:
        """Store the bytes as received; `content_sha256` and `size` are computed here."""
        row = db.Receipt(
            id=id,
            channel=channel,
            file_name=file_name,
            partner_id=partner_id,
            content_sha256=sha256_hex(raw),
            size=len(raw),
            raw=raw,
            received_at=received_at,
            status=status,
            duplicate_of_id=duplicate_of_id,
            correlation_id=correlation_id,
            transport=transport,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def get(self, receipt_id: str) -> db.Receipt | None:
        return self.session.get(db.Receipt, receipt_id)

    def require(self, receipt_id: str) -> db.Receipt:
        row = self.get(receipt_id)
        if row is None:
            raise NotFoundError(f"receipt {receipt_id} does not exist")
        return row

    def lock_content(self, content_sha256: str, *, partner_id: str | None = None) -> None:
        """Serialise, until commit, the writers of receipts with these bytes (of this partner), so a
        second one sees the first committed and is recorded as its duplicate. PostgreSQL: a
        transaction-scoped advisory lock; SQLite serialises writers already."""
        if self.session.get_bind().dialect.name != "postgresql":
            return
        key = int.from_bytes(
            hashlib.sha256(f"{partner_id or ''}:{content_sha256}".encode()).digest()[:8], "big", signed=True
        )
        self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})

    def find_by_sha256(
        self, content_sha256: str, *, exclude_id: str | None = None, partner_id: str | None = None
    ) -> db.Receipt | None:
        """The first receipt (by arrival) with these bytes that is not itself a duplicate (of this
        partner's receipts only, when `partner_id` is given)."""
        query = (
            select(db.Receipt)
            .where(db.Receipt.content_sha256 == content_sha256)
            .where(db.Receipt.status != db.ReceiptStatus.DUPLICATE)
            .order_by(db.Receipt.received_at, db.Receipt.id)
            .limit(1)
        )
        if exclude_id is not None:
            query = query.where(db.Receipt.id != exclude_id)
        if partner_id is not None:
            query = query.where(db.Receipt.partner_id == partner_id)
        return self.session.scalars(query).first()

    def find_handled_by_sha256(
        self, content_sha256: str, *, exclude_id: str, partner_id: str | None = None
    ) -> db.Receipt | None:
        """The first receipt (by arrival) with these bytes that was already processed or failed:
        what a receipt being processed now duplicates (of this partner's receipts only, when
        `partner_id` is given). Receipts still waiting (or dead-lettered) do not count, so two
        copies processed at once cannot each take the other for the original."""
        query = (
            select(db.Receipt)
            .where(
                db.Receipt.content_sha256 == content_sha256,
                db.Receipt.status.in_((db.ReceiptStatus.PROCESSED, db.ReceiptStatus.FAILED)),
                db.Receipt.id != exclude_id,
            )
            .order_by(db.Receipt.received_at, db.Receipt.id)
            .limit(1)
        )
        if partner_id is not None:
            query = query.where(db.Receipt.partner_id == partner_id)
        return self.session.scalars(query).first()

    def set_status(
        self,
        receipt_id: str,
        status: db.ReceiptStatus,
        *,
        error: str | None = None,
        partner_id: str | None = None,
        duplicate_of_id: str | None = None,
    ) -> db.Receipt:
        """Move a receipt on; `partner_id` is filled once the sender is identified."""
        row = self.require(receipt_id)
        row.status = status
        if error is not None:
            row.error = error
        if partner_id is not None:
            row.partner_id = partner_id
        if duplicate_of_id is not None:
            row.duplicate_of_id = duplicate_of_id
        self.session.flush()
        return row

    def list(
        self,
        *,
        partner_id: str | None = None,
        status: db.ReceiptStatus | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Sequence[db.Receipt]:
        """Newest first."""
        query = select(db.Receipt).order_by(db.Receipt.received_at.desc(), db.Receipt.id)
        if partner_id is not None:
            query = query.where(db.Receipt.partner_id == partner_id)
        if status is not None:
            query = query.where(db.Receipt.status == status)
        return self.session.scalars(query.limit(limit).offset(offset)).all()


class InterchangeRepository(Repository):
    def add(
        self,
        *,
        id: str,
        receipt_id: str,
        format: str,
        sender: str,
        receiver: str,
        control_number: str,
        received_at: dt.datetime,
        partner_id: str | None = None,
        is_test: bool = False,
        prepared_at: dt.datetime | None = None,
        status: db.InterchangeStatus = db.InterchangeStatus.ACCEPTED,
        duplicate_of_id: str | None = None,
        issues: Iterable[IssueLike] = (),
    ) -> db.Interchange:
        row = db.Interchange(
            id=id,
            receipt_id=receipt_id,
            partner_id=partner_id,
            format=format,
            sender=sender,
            receiver=receiver,
            control_number=control_number,
            is_test=is_test,
            prepared_at=prepared_at,
            status=status,
            duplicate_of_id=duplicate_of_id,
            issues=issue_dicts(issues),
            received_at=received_at,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def get(self, interchange_id: str) -> db.Interchange | None:
        return self.session.get(db.Interchange, interchange_id)

    def find_duplicate(
        self,
        partner_id: str,
        format: str,
        control_number: str,
        since: dt.datetime,
        *,
        exclude_id: str | None = None,
    ) -> db.Interchange | None:
        """The earliest interchange from this partner with this control number received at or after
        `since` (the duplicate window), not counting duplicates and rejected ones: a partner may
        resend a rejected interchange under the same number."""
        query = (
            select(db.Interchange)
            .where(
                db.Interchange.partner_id == partner_id,
                db.Interchange.format == format,
                db.Interchange.control_number == control_number,
                db.Interchange.received_at >= since,
                db.Interchange.status.not_in([db.InterchangeStatus.DUPLICATE, db.InterchangeStatus.REJECTED]),
            )
            .order_by(db.Interchange.received_at, db.Interchange.id)
            .limit(1)
        )
        if exclude_id is not None:
            query = query.where(db.Interchange.id != exclude_id)
        return self.session.scalars(query).first()

    def set_status(
        self, interchange_id: str, status: db.InterchangeStatus, *, issues: Iterable[IssueLike] | None = None
    ) -> db.Interchange:
        row = self.get(interchange_id)
        if row is None:
            raise NotFoundError(f"interchange {interchange_id} does not exist")
        row.status = status
        if issues is not None:
            row.issues = issue_dicts(issues)
        self.session.flush()
        return row

    def for_receipt(self, receipt_id: str) -> Sequence[db.Interchange]:
        query = select(db.Interchange).where(db.Interchange.receipt_id == receipt_id)
        return self.session.scalars(query.order_by(db.Interchange.received_at, db.Interchange.id)).all()


class DocumentRepository(Repository):
    def add(
        self,
        *,
        id: str,
        direction: db.Direction,
        format: str,
        doc_type: str,
        status: db.DocumentStatus = db.DocumentStatus.RECEIVED,
        receipt_id: str | None = None,
        interchange_id: str | None = None,
        partner_id: str | None = None,
        version: str | None = None,
        group_control: str | None = None,
        set_control: str | None = None,
        issues: Iterable[IssueLike] = (),
        correlation_id: str | None = None,
        at: dt.datetime | None = None,
    ) -> db.Document:
        """Add a document under the caller's deterministic id (`gateway.kit.ids.document_id`)."""
        now = self._now(at)
        row = db.Document(
            id=id,
            receipt_id=receipt_id,
            interchange_id=interchange_id,
            partner_id=partner_id,
            direction=direction,
            format=format,
            doc_type=doc_type,
            version=version,
            group_control=group_control,
            set_control=set_control,
            status=status,
            issues=issue_dicts(issues),
            correlation_id=correlation_id,
            created_at=now,
            updated_at=now,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def get(self, document_id: str) -> db.Document | None:
        return self.session.get(db.Document, document_id)

    def set_status(
        self,
        document_id: str,
        status: db.DocumentStatus,
        *,
        issues: Iterable[IssueLike] | None = None,
        at: dt.datetime | None = None,
    ) -> db.Document:
        """Move a document on; `issues`, when given, replaces the stored list."""
        row = self.get(document_id)
        if row is None:
            raise NotFoundError(f"document {document_id} does not exist")
        row.status = status
        if issues is not None:
            row.issues = issue_dicts(issues)
        row.updated_at = self._now(at)
        self.session.flush()
        return row

    def list(
        self,
        *,
        partner_id: str | None = None,
        status: db.DocumentStatus | None = None,
        doc_type: str | None = None,
        direction: db.Direction | None = None,
        receipt_id: str | None = None,
        interchange_id: str | None = None,
        since: dt.datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Sequence[db.Document]:
        """Newest first (by `created_at`, then id for a stable order)."""
        query = select(db.Document)
        filters = {
            db.Document.partner_id: partner_id,
            db.Document.status: status,
            db.Document.doc_type: doc_type,
            db.Document.direction: direction,
            db.Document.receipt_id: receipt_id,
            db.Document.interchange_id: interchange_id,
        }
        for column, value in filters.items():
            if value is not None:
                query = query.where(column == value)
        if since is not None:
            query = query.where(db.Document.created_at >= since)
        query = query.order_by(db.Document.created_at.desc(), db.Document.id)
        return self.session.scalars(query.limit(limit).offset(offset)).all()


class ProcessingStepRepository(Repository):
    def record(
        self,
        *,
        stage: db.Stage,
        status: db.StepStatus,
        receipt_id: str | None = None,
        document_id: str | None = None,
        detail: str | None = None,
        issues: Iterable[IssueLike] = (),
        at: dt.datetime | None = None,
    ) -> db.ProcessingStep:
        """One line of lineage: `stage` ended with `status` for this receipt and/or document."""
        if receipt_id is None and document_id is None:
            raise ValueError("a processing step belongs to a receipt, a document, or both")
        row = db.ProcessingStep(
            receipt_id=receipt_id,
            document_id=document_id,
            stage=stage,
            status=status,
            detail=detail,
            issues=issue_dicts(issues),
            at=self._now(at),
        )
        self.session.add(row)
        self.session.flush()
        return row

    def for_receipt(self, receipt_id: str) -> Sequence[db.ProcessingStep]:
        """Every step of the receipt and of its documents, in the order they were recorded."""
        documents = select(db.Document.id).where(db.Document.receipt_id == receipt_id)
        query = (
            select(db.ProcessingStep)
            .where(
                (db.ProcessingStep.receipt_id == receipt_id) | db.ProcessingStep.document_id.in_(documents)
            )
            .order_by(db.ProcessingStep.id)
        )
        return self.session.scalars(query).all()

    def for_document(self, document_id: str) -> Sequence[db.ProcessingStep]:
        query = select(db.ProcessingStep).where(db.ProcessingStep.document_id == document_id)
        return self.session.scalars(query.order_by(db.ProcessingStep.id)).all()
