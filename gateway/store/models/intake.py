"""Intake lineage: receipts (raw bytes), interchanges (envelopes), documents, processing steps.

A receipt's bytes are immutable: nothing in the store updates `receipt.raw`. Every stage a receipt
or document passes through leaves a `processing_step` row (Bots-style lineage).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, event, inspect
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.base import Base, BigIntId, JSONType, StrEnumType, UTCDateTime


class ReceiptStatus(StrEnum):
    RECEIVED = "received"
    PROCESSED = "processed"
    FAILED = "failed"
    DUPLICATE = "duplicate"


class InterchangeStatus(StrEnum):
    ACCEPTED = "accepted"
    ACCEPTED_WITH_ERRORS = "accepted_with_errors"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class DocumentStatus(StrEnum):
    RECEIVED = "received"
    PARSED = "parsed"
    MAPPED = "mapped"
    CORRELATED = "correlated"
    FAILED = "failed"
    DUPLICATE = "duplicate"
    SKIPPED = "skipped"


class Stage(StrEnum):
    RECEIVED = "received"
    PARSED = "parsed"
    MAPPED = "mapped"
    CORRELATED = "correlated"
    ACKNOWLEDGED = "acknowledged"
    DELIVERED = "delivered"


class StepStatus(StrEnum):
    OK = "ok"
    FAILED = "failed"
    DUPLICATE = "duplicate"
    SKIPPED = "skipped"


class Receipt(Base):
    """Bytes as they arrived, with transport metadata."""

    __tablename__ = "receipt"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    file_name: Mapped[str | None] = mapped_column(String(512))
    partner_id: Mapped[str | None] = mapped_column(String(64), index=True)
    content_sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    status: Mapped[ReceiptStatus] = mapped_column(StrEnumType(ReceiptStatus))
    duplicate_of_id: Mapped[str | None] = mapped_column(ForeignKey("receipt.id"))
    error: Mapped[str | None] = mapped_column(Text)
    correlation_id: Mapped[str | None] = mapped_column(String(64))
    # What the channel knew besides the bytes: a portal and its webhook id, a polled resource and
    # cursor, a cXML post's remote address. None for files.
    transport: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class Interchange(Base):
    """One envelope (ISA/IEA, UNB/UNZ, a cXML request) found in a receipt."""

    __tablename__ = "interchange"
    __table_args__ = (
        Index("ix_interchange_duplicate_lookup", "partner_id", "format", "control_number", "received_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    receipt_id: Mapped[str] = mapped_column(ForeignKey("receipt.id"), index=True)
    partner_id: Mapped[str | None] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(16))
    sender: Mapped[str] = mapped_column(String(64))
    receiver: Mapped[str] = mapped_column(String(64))
    control_number: Mapped[str] = mapped_column(String(255))  # ISA13, UNB 0020, a cXML payloadID
    is_test: Mapped[bool] = mapped_column(Boolean, default=False)
    prepared_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[InterchangeStatus] = mapped_column(StrEnumType(InterchangeStatus))
    duplicate_of_id: Mapped[str | None] = mapped_column(ForeignKey("interchange.id"))
    issues: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Document(Base):
    """One transaction set / message / cXML request. The id is the caller's deterministic id."""

    __tablename__ = "document"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    receipt_id: Mapped[str | None] = mapped_column(ForeignKey("receipt.id"), index=True)
    interchange_id: Mapped[str | None] = mapped_column(ForeignKey("interchange.id"), index=True)
    partner_id: Mapped[str | None] = mapped_column(String(64), index=True)
    direction: Mapped[Direction] = mapped_column(StrEnumType(Direction, 16))
    format: Mapped[str] = mapped_column(String(16))
    doc_type: Mapped[str] = mapped_column(String(32))
    version: Mapped[str | None] = mapped_column(String(16))
    group_control: Mapped[str | None] = mapped_column(String(32))
    set_control: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[DocumentStatus] = mapped_column(StrEnumType(DocumentStatus))
    issues: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    correlation_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class ProcessingStep(Base):
    """One stage a receipt or document went through, and how it ended."""

    __tablename__ = "processing_step"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    receipt_id: Mapped[str | None] = mapped_column(ForeignKey("receipt.id"), index=True)
    document_id: Mapped[str | None] = mapped_column(ForeignKey("document.id"), index=True)
    stage: Mapped[Stage] = mapped_column(StrEnumType(Stage, 16))
    status: Mapped[StepStatus] = mapped_column(StrEnumType(StepStatus, 16))
    detail: Mapped[str | None] = mapped_column(Text)
    issues: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


@event.listens_for(Receipt.raw, "set", propagate=True)
def _raw_is_immutable(target: Receipt, value: bytes, oldvalue: object, initiator: object) -> None:
    """Refuse to change the bytes of a stored receipt (they are the evidence replay works from)."""
    if inspect(target).persistent or inspect(target).detached:
        raise ValueError(f"receipt {target.id}: raw bytes are immutable once stored")
