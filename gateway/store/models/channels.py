"""Channel state: the portal webhook ids already received (de-duplication) and each partner API
poller's cursor."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.base import Base, BigIntId, UTCDateTime


class PortalWebhook(Base):
    """A portal webhook received, by its `webhook-id`: a second delivery of the same id changes
    nothing (the unique constraint makes that hold under concurrent deliveries too)."""

    __tablename__ = "portal_webhook"
    __table_args__ = (UniqueConstraint("portal", "webhook_id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    portal: Mapped[str] = mapped_column(String(64))
    webhook_id: Mapped[str] = mapped_column(String(255))
    receipt_id: Mapped[str] = mapped_column(ForeignKey("receipt.id"), index=True)
    partner_id: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class PollCursor(Base):
    """Where a partner API poller resumes, per partner and resource (confirmations, shipments)."""

    __tablename__ = "poll_cursor"

    partner_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    resource: Mapped[str] = mapped_column(String(32), primary_key=True)
    cursor: Mapped[str | None] = mapped_column(String(1024))
    pages: Mapped[int] = mapped_column(Integer, default=0)  # pages received so far
    polled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
