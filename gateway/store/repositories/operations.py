"""Row locks for work items, dead letters and the audit log.

Work items (receipts to process, outbound messages to deliver) are claimed with
`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL: a second worker asking for an item another one
holds gets None at once instead of waiting, and processes something else. SQLite has no row locks;
its transactions start with `BEGIN IMMEDIATE` (see `store.session`), so a second writer waits for
the first to commit and then sees the item's new state, which is just as safe (one at a time).

`advisory_lock(session, key)` serialises transactions that check-then-insert on the same natural key
(the same content hash, the same partner and interchange control number) on PostgreSQL, so two
workers reading two copies of one interchange cannot both find "no earlier copy". It is held to
commit. SQLite serialises writers anyway.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from gateway.store import models as db
from gateway.store.repositories.base import Repository

M = TypeVar("M", bound=db.Base)


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def advisory_lock(session: Session, key: str) -> None:
    """A transaction-scoped lock on `key` (PostgreSQL; a no-op on SQLite, which serialises writers)."""
    if is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})


def lock_row(session: Session, model: type[M], key: object) -> tuple[M | None, bool]:
    """(row, exists): the row locked until commit, or (None, True) when another transaction holds
    it (PostgreSQL, skip locked), or (None, False) when there is no such row. The row is reloaded,
    so what the caller reads is what the lock protects."""
    identity = model.__mapper__.primary_key[0]
    query = (
        select(model)
        .where(identity == key)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    row = session.scalars(query).one_or_none()
    if row is not None:
        return row, True
    return None, session.scalar(select(func.count()).select_from(model).where(identity == key)) != 0


class WorkRepository(Repository):
    """What is due for (re)processing or (re)delivery."""

    def due_receipts(self, now: dt.datetime, limit: int) -> Sequence[db.Receipt]:
        """Receipts still `received` whose next attempt is due, oldest first; locked rows are skipped
        on PostgreSQL. A receipt without `next_attempt_at` was never queued (a channel holds it back
        until it has checked the sender) and is left alone."""
        query = (
            select(db.Receipt)
            .where(db.Receipt.status == db.ReceiptStatus.RECEIVED, db.Receipt.next_attempt_at <= now)
            .order_by(db.Receipt.received_at, db.Receipt.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return self.session.scalars(query).all()

    def due_messages(self, now: dt.datetime, limit: int) -> Sequence[db.OutboundMessage]:
        """Outbound messages not yet delivered whose next delivery attempt is due, oldest first
        (`next_attempt_at` is set only while a delivery is pending)."""
        query = (
            select(db.OutboundMessage)
            .where(
                db.OutboundMessage.delivered_at.is_(None),
                db.OutboundMessage.next_attempt_at <= now,
                db.OutboundMessage.status != db.OutboundStatus.DEAD_LETTER,
            )
            .order_by(db.OutboundMessage.created_at, db.OutboundMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return self.session.scalars(query).all()


class DeadLetterRepository(Repository):
    def record(
        self,
        *,
        kind: db.DeadLetterKind,
        item_id: str,
        job: str,
        attempts: int,
        reason: str,
        partner_id: str | None = None,
        correlation_id: str | None = None,
        at: dt.datetime | None = None,
    ) -> db.DeadLetter:
        """The item gave up: one row per item (dying again after a replay reopens it)."""
        now = self._now(at)
        row = self.find(kind, item_id)
        if row is None:
            row = db.DeadLetter(kind=kind, item_id=item_id)
            self.session.add(row)
        row.job = job
        row.attempts = attempts
        row.reason = reason
        row.partner_id = partner_id
        row.correlation_id = correlation_id
        row.dead_at = now
        row.resolved_at = None
        row.resolution = None
        self.session.flush()
        return row

    def find(self, kind: db.DeadLetterKind, item_id: str) -> db.DeadLetter | None:
        query = select(db.DeadLetter).where(db.DeadLetter.kind == kind, db.DeadLetter.item_id == item_id)
        return self.session.scalars(query).one_or_none()

    def get(self, dead_letter_id: int) -> db.DeadLetter | None:
        return self.session.get(db.DeadLetter, dead_letter_id)

    def resolve(
        self, kind: db.DeadLetterKind, item_id: str, resolution: str, *, at: dt.datetime | None = None
    ) -> db.DeadLetter | None:
        row = self.find(kind, item_id)
        if row is not None and row.resolved_at is None:
            row.resolved_at = self._now(at)
            row.resolution = resolution[:200]
            self.session.flush()
        return row

    def list(
        self,
        *,
        kind: db.DeadLetterKind | None = None,
        open_only: bool = True,
        partner_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Sequence[db.DeadLetter]:
        """Newest first."""
        query = select(db.DeadLetter)
        if kind is not None:
            query = query.where(db.DeadLetter.kind == kind)
        if open_only:
            query = query.where(db.DeadLetter.resolved_at.is_(None))
        if partner_id is not None:
            query = query.where(db.DeadLetter.partner_id == partner_id)
        query = query.order_by(db.DeadLetter.dead_at.desc(), db.DeadLetter.id.desc())
        return self.session.scalars(query.limit(limit).offset(offset)).all()


class AuditRepository(Repository):
    def record(
        self,
        *,
        actor: str,
        action: str,
        subject: str,
        detail: dict[str, Any] | None = None,
        correlation_id: str | None = None,
        at: dt.datetime | None = None,
    ) -> db.AuditEntry:
        row = db.AuditEntry(
            at=self._now(at),
            actor=actor[:128],
            action=action,
            subject=subject[:200],
            detail=detail or {},
            correlation_id=correlation_id,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def list(
        self,
        *,
        action: str | None = None,
        subject: str | None = None,
        actor: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Sequence[db.AuditEntry]:
        """Newest first; `action` may end in `.*` (`exception.*`)."""
        query = select(db.AuditEntry)
        if action is not None:
            if action.endswith(".*"):
                query = query.where(db.AuditEntry.action.startswith(action[:-1]))
            else:
                query = query.where(db.AuditEntry.action == action)
        if subject is not None:
            query = query.where(db.AuditEntry.subject == subject)
        if actor is not None:
            query = query.where(db.AuditEntry.actor == actor)
        query = query.order_by(db.AuditEntry.at.desc(), db.AuditEntry.id.desc())
        return self.session.scalars(query.limit(limit).offset(offset)).all()
