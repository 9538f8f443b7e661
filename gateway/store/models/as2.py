"""AS2 transmissions and their MDNs, kept for non-repudiation.

`as2_message` is one AS2 message, received from a partner or sent to one, with its raw bytes as they
went over the wire (HTTP headers and body), how it was protected (signed, encrypted, compressed),
the MIC of its content and what became of it. `as2_mdn` is one MDN, ours for a received message
(sent in the HTTP response or posted asynchronously) or the partner's for a message we sent, again
with its raw bytes and the disposition it states.

Duplicates: `dedupe_key` ("<direction>:<AS2-From>:<Message-ID>") is set only on a received message
that was processed, and is unique. A resend of a message whose first delivery failed finds no key
and is processed; a resend of a processed one is a duplicate (and a concurrent second copy fails the
unique constraint and is treated as one).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.base import Base, StrEnumType, UTCDateTime
from gateway.store.models.intake import Direction


class AS2Status(StrEnum):
    RECEIVED = "received"  # inbound: raw bytes stored, not read yet
    PROCESSED = "processed"  # inbound: read and verified; the payload is a receipt
    FAILED = "failed"  # inbound: could not be read, verified or stored (an error MDN answered)
    DUPLICATE = "duplicate"  # inbound: the same AS2-From and Message-ID was processed before
    PENDING = "pending"  # outbound: to be sent (again, at next_attempt_at)
    AWAITING_MDN = "awaiting_mdn"  # outbound: sent; the partner's asynchronous MDN is due
    DELIVERED = "delivered"  # outbound: the partner's MDN says processed (and verified)
    REJECTED = "rejected"  # outbound: the MDN states an error, or cannot be verified
    UNDELIVERABLE = "undeliverable"  # outbound: given up (attempts exhausted, or a permanent error)


class MdnDelivery(StrEnum):
    SYNC = "sync"  # ours, in the HTTP response
    PENDING = "pending"  # ours, asynchronous, to be posted (again, at next_attempt_at)
    DELIVERED = "delivered"  # ours, asynchronous, accepted by the partner's server
    FAILED = "failed"  # ours, asynchronous, given up
    RECEIVED = "received"  # the partner's, for one of our messages


class AS2Message(Base):
    __tablename__ = "as2_message"
    __table_args__ = (
        Index("ix_as2_message_lookup", "direction", "as2_from", "message_id"),
        Index("ix_as2_message_due", "direction", "status", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    direction: Mapped[Direction] = mapped_column(StrEnumType(Direction, 16))
    partner_id: Mapped[str | None] = mapped_column(String(64), index=True)
    message_id: Mapped[str | None] = mapped_column(String(255))
    as2_from: Mapped[str | None] = mapped_column(String(128))
    as2_to: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[AS2Status] = mapped_column(StrEnumType(AS2Status, 16))
    disposition: Mapped[str | None] = mapped_column(String(255))
    error: Mapped[str | None] = mapped_column(Text)
    signed: Mapped[bool] = mapped_column(Boolean, default=False)
    encrypted: Mapped[bool] = mapped_column(Boolean, default=False)
    compressed: Mapped[bool] = mapped_column(Boolean, default=False)
    mic: Mapped[str | None] = mapped_column(String(128))
    mic_alg: Mapped[str | None] = mapped_column(String(16))
    mdn_mode: Mapped[str | None] = mapped_column(String(8))  # sync, async, or None (no MDN asked)
    mdn_url: Mapped[str | None] = mapped_column(String(1024))
    mdn_signed: Mapped[bool] = mapped_column(Boolean, default=False)
    file_name: Mapped[str | None] = mapped_column(String(512))
    content_type: Mapped[str | None] = mapped_column(String(128))
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)
    receipt_id: Mapped[str | None] = mapped_column(ForeignKey("receipt.id"), index=True)
    outbound_message_id: Mapped[str | None] = mapped_column(ForeignKey("outbound_message.id"), index=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(400), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class AS2Mdn(Base):
    __tablename__ = "as2_mdn"
    __table_args__ = (Index("ix_as2_mdn_due", "delivery", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    as2_message_id: Mapped[str] = mapped_column(ForeignKey("as2_message.id"), index=True)
    direction: Mapped[Direction] = mapped_column(StrEnumType(Direction, 16))  # outbound: ours
    message_id: Mapped[str | None] = mapped_column(String(255))
    original_message_id: Mapped[str | None] = mapped_column(String(255))
    disposition: Mapped[str] = mapped_column(String(255))
    mic: Mapped[str | None] = mapped_column(String(128))
    signed: Mapped[bool] = mapped_column(Boolean, default=False)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    mode: Mapped[str] = mapped_column(String(8))  # sync or async
    url: Mapped[str | None] = mapped_column(String(1024))
    delivery: Mapped[MdnDelivery] = mapped_column(StrEnumType(MdnDelivery, 16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
