"""Webhook deliveries: one row per (subscriber, outbox event), one log row per attempt, and how far
each subscriber's fan-out has read the outbox."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.base import Base, BigIntId, StrEnumType, UTCDateTime


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"  # gave up after the configured number of attempts


class WebhookDelivery(Base):
    """One event owed to one subscriber. Unique per (subscriber, event): a second fan-out of the
    same event is a no-op, and `evt_<cursor>` is the stable `webhook-id` of every attempt."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "event_cursor"),
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    subscriber_id: Mapped[str] = mapped_column(String(64))
    event_cursor: Mapped[int] = mapped_column(BigInteger, ForeignKey("outbox_event.cursor"))
    status: Mapped[DeliveryStatus] = mapped_column(StrEnumType(DeliveryStatus, 16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class WebhookAttempt(Base):
    """The log of one POST: when, the answer's status code (None when none came), how long, why it failed."""

    __tablename__ = "webhook_attempt"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("webhook_delivery.id"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    attempted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    status_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)


class WebhookFanout(Base):
    """The last outbox cursor fanned out to a subscriber (events after it are not yet considered)."""

    __tablename__ = "webhook_fanout"

    subscriber_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_cursor: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
