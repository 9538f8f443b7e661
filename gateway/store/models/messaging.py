"""Messages out: the event outbox, outbound EDI messages and the control number counters."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.canonical.events import EventType
from gateway.store.base import Base, BigIntId, JSONType, StrEnumType, UTCDateTime


class OutboundStatus(StrEnum):
    QUEUED = "queued"  # recorded, waiting for the outbound.deliver job
    DEAD_LETTER = "dead_letter"  # delivery failed `jobs.max_attempts` times; see dead_letter
    WRITTEN = "written"
    SENT = "sent"
    ACCEPTED = "accepted"
    ACCEPTED_WITH_ERRORS = "accepted_with_errors"
    REJECTED = "rejected"
    FAILED = "failed"  # the transport could not deliver it (see mdn_status)


class ControlKind(StrEnum):
    ISA = "isa"  # ISA13, 9 digits
    GS = "gs"  # GS06, up to 9 digits
    ST = "st"  # ST02, 4 to 9 digits
    UNB = "unb"  # UNB 0020, up to 14 characters (we write up to 9 digits)
    UNH = "unh"  # UNH 0062, up to 14 characters


class OutboxEvent(Base):
    """One event of the feed. `cursor` only grows: SQLite AUTOINCREMENT never reuses a rowid, and
    on PostgreSQL appends are serialised per transaction (see `OutboxRepository.append`) so cursors
    become visible in order."""

    __tablename__ = "outbox_event"
    __table_args__ = ({"sqlite_autoincrement": True},)

    cursor: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    type: Mapped[EventType] = mapped_column(StrEnumType(EventType, 48))
    partner_id: Mapped[str | None] = mapped_column(String(64), index=True)
    document_id: Mapped[str | None] = mapped_column(String(36))
    correlation_id: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    schema_version: Mapped[str] = mapped_column(String(8))


class OutboundMessage(Base):
    """An interchange we wrote to a partner (an 850, a 997, a TA1...) and what became of it."""

    __tablename__ = "outbound_message"
    __table_args__ = (
        Index("ix_outbound_message_partner_group", "partner_id", "group_control"),
        Index("ix_outbound_message_partner_interchange", "partner_id", "interchange_control"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    partner_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    format: Mapped[str] = mapped_column(String(16))
    interchange_control: Mapped[str | None] = mapped_column(String(32))
    group_control: Mapped[str | None] = mapped_column(String(32))
    set_controls: Mapped[list[str]] = mapped_column(JSONType, default=list)
    content: Mapped[str] = mapped_column(Text)
    path: Mapped[str | None] = mapped_column(String(1024))
    transport: Mapped[str | None] = mapped_column(String(16))  # filedrop, as2, or None (not delivered)
    mdn_status: Mapped[str | None] = mapped_column(String(255))  # AS2: pending, or the MDN's disposition
    status: Mapped[OutboundStatus] = mapped_column(StrEnumType(OutboundStatus))
    ack_document_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    acked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Delivery by the outbound.deliver job: attempts, when a queued message is due again, the last
    # transport error, when it was handed over, and the correlation id of what caused it.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    correlation_id: Mapped[str | None] = mapped_column(String(64))


class ControlNumber(Base):
    """The last control number handed out per partner and kind."""

    __tablename__ = "control_number"

    partner_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[ControlKind] = mapped_column(StrEnumType(ControlKind, 8), primary_key=True)
    last_value: Mapped[int] = mapped_column(BigInteger)
