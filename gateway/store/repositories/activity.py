"""What a partner has been doing: its last receipt per channel, its documents' outcomes over a
window, its last outbound message, and its open SLA cases (the partner status view)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from gateway.canonical.exceptions import ExceptionStatus, ExceptionType
from gateway.store import models as db
from gateway.store.repositories.base import Repository

SLA_TYPES = (ExceptionType.NO_FUNCTIONAL_ACK, ExceptionType.NO_PO_ACK, ExceptionType.SHIPMENT_OVERDUE)
ACTIVE = (ExceptionStatus.OPEN, ExceptionStatus.ACKNOWLEDGED)


@dataclass(frozen=True)
class DocumentCounts:
    documents: int  # inbound documents read in the window
    failed: int  # of them, rejected (errors), plus receipts that could not be read at all


@dataclass(frozen=True)
class SlaBreaches:
    type: ExceptionType
    open: int
    oldest_opened_at: dt.datetime | None


class PartnerActivityRepository(Repository):
    def last_receipts(self, partner_id: str) -> Sequence[db.Receipt]:
        """The newest receipt of each channel the partner used, by channel."""
        newest = (
            select(db.Receipt.channel, func.max(db.Receipt.received_at).label("at"))
            .where(db.Receipt.partner_id == partner_id)
            .group_by(db.Receipt.channel)
            .subquery()
        )
        query = (
            select(db.Receipt)
            .join(newest, (db.Receipt.channel == newest.c.channel) & (db.Receipt.received_at == newest.c.at))
            .where(db.Receipt.partner_id == partner_id)
            .order_by(db.Receipt.channel, db.Receipt.id)
        )
        seen: dict[str, db.Receipt] = {}
        for row in self.session.scalars(query):
            seen.setdefault(row.channel, row)  # two at the same instant: one of them
        return list(seen.values())

    def counts_since(self, partner_id: str, since: dt.datetime) -> DocumentCounts:
        documents = select(
            func.count(), func.count().filter(db.Document.status == db.DocumentStatus.FAILED)
        ).where(
            db.Document.partner_id == partner_id,
            db.Document.direction == db.Direction.INBOUND,
            db.Document.created_at >= since,
        )
        total, failed = self.session.execute(documents).one()
        unreadable = self.session.scalar(
            select(func.count()).where(
                db.Receipt.partner_id == partner_id,
                db.Receipt.status == db.ReceiptStatus.FAILED,
                db.Receipt.received_at >= since,
            )
        )
        return DocumentCounts(
            documents=int(total) + int(unreadable or 0), failed=int(failed) + int(unreadable or 0)
        )

    def last_outbound(self, partner_id: str) -> db.OutboundMessage | None:
        query = (
            select(db.OutboundMessage)
            .where(db.OutboundMessage.partner_id == partner_id)
            .order_by(db.OutboundMessage.created_at.desc(), db.OutboundMessage.id)
            .limit(1)
        )
        return self.session.scalars(query).first()

    def sla_breaches(self, partner_id: str, types: Iterable[ExceptionType] = SLA_TYPES) -> list[SlaBreaches]:
        wanted = list(types)
        query = (
            select(db.ExceptionCase.type, func.count(), func.min(db.ExceptionCase.opened_at))
            .where(
                db.ExceptionCase.partner_id == partner_id,
                db.ExceptionCase.type.in_(wanted),
                db.ExceptionCase.status.in_(ACTIVE),
            )
            .group_by(db.ExceptionCase.type)
        )
        found = {row[0]: (int(row[1]), row[2]) for row in self.session.execute(query)}
        return [SlaBreaches(t, *found.get(t, (0, None))) for t in wanted]

    def open_exceptions(self, partner_id: str) -> int:
        query = select(func.count()).where(
            db.ExceptionCase.partner_id == partner_id, db.ExceptionCase.status.in_(ACTIVE)
        )
        return int(self.session.scalar(query) or 0)
