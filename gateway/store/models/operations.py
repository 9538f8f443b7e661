"""Operations: items that gave up (dead letters) and who or what changed what (the audit log).

A dead letter is written when a receipt, an outbound message or a webhook delivery has failed
`max_attempts` times: the item itself moves to its dead state and this row keeps the reason, so an
operator can see every stuck item in one place (`GET /v1/dead-letters`) and replay it
(`gateway replay --dead-letters`). One row per item: dying again after a replay updates it.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.base import Base, BigIntId, JSONType, StrEnumType, UTCDateTime


class DeadLetterKind(StrEnum):
    RECEIPT = "receipt"  # processing a received file (ingest.process_receipt)
    OUTBOUND_MESSAGE = "outbound_message"  # delivering an 850/860/997/TA1 (outbound.deliver)
    WEBHOOK_DELIVERY = "webhook_delivery"  # posting an event to a subscriber (outbox.deliver)


class DeadLetter(Base):
    __tablename__ = "dead_letter"
    __table_args__ = (
        UniqueConstraint("kind", "item_id"),
        Index("ix_dead_letter_open", "resolved_at", "dead_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    kind: Mapped[DeadLetterKind] = mapped_column(StrEnumType(DeadLetterKind, 32))
    item_id: Mapped[str] = mapped_column(String(64))
    job: Mapped[str] = mapped_column(String(64))
    partner_id: Mapped[str | None] = mapped_column(String(64))
    correlation_id: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    dead_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    resolution: Mapped[str | None] = mapped_column(String(200))


class AuditEntry(Base):
    """One change made by a person or a process: an exception acknowledged, a partner config
    reloaded, a key rotated, a replay started or applied. `actor` names who (`cli:<user>`,
    `api:<client>`, `worker`), `subject` what (`exception:42`, `receipt:<id>`, `partners`)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_subject", "subject", "at"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    correlation_id: Mapped[str | None] = mapped_column(String(64))
