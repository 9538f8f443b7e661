"""Exception cases a person works on, and their history.

At most one OPEN or ACKNOWLEDGED case per (type, subject): a partial unique index enforces it on
both PostgreSQL and SQLite (`WHERE status IN ('open', 'acknowledged')`). A resolved case leaves the
index, so the same problem coming back opens a new case.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.canonical.exceptions import ExceptionStatus, ExceptionType, OwnerRole, Severity
from gateway.store.base import Base, BigIntId, JSONType, StrEnumType, UTCDateTime

ACTIVE_CASE = text("status IN ('open', 'acknowledged')")


class ExceptionCase(Base):
    __tablename__ = "exception_case"
    __table_args__ = (
        Index(
            "uq_exception_case_active_type_subject",
            "type",
            "subject",
            unique=True,
            postgresql_where=ACTIVE_CASE,
            sqlite_where=ACTIVE_CASE,
        ),
        Index("ix_exception_case_status_opened", "status", "opened_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    type: Mapped[ExceptionType] = mapped_column(StrEnumType(ExceptionType, 40))
    subject: Mapped[str] = mapped_column(String(200))
    partner_id: Mapped[str] = mapped_column(String(64), index=True)
    po_number: Mapped[str | None] = mapped_column(String(64), index=True)
    line_number: Mapped[str | None] = mapped_column(String(16))
    severity: Mapped[Severity] = mapped_column(StrEnumType(Severity, 16))
    owner: Mapped[OwnerRole] = mapped_column(StrEnumType(OwnerRole))
    status: Mapped[ExceptionStatus] = mapped_column(StrEnumType(ExceptionStatus, 16))
    expected: Mapped[str | None] = mapped_column(Text)
    actual: Mapped[str | None] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    document_id: Mapped[str | None] = mapped_column(String(36), index=True)
    impacted_production_orders: Mapped[list[str]] = mapped_column(JSONType, default=list)
    details: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    history: Mapped[list[ExceptionHistory]] = relationship(
        back_populates="case", lazy="raise", order_by="ExceptionHistory.id", cascade="all, delete-orphan"
    )


class ExceptionHistory(Base):
    __tablename__ = "exception_history"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("exception_case.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)

    case: Mapped[ExceptionCase] = relationship(back_populates="history", lazy="raise")
