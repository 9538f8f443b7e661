"""What suppliers said: every commitment received, and ship notices (current version only).

`commitment` keeps every commitment as received, stale ones included (`is_stale`), so history can be
shown and replayed. `shipment` keeps ONE row per (partner_id, shipment_id): the current version.
A replacement or a replay replaces its `shipment_line` rows instead of adding to them, and a delete
marks it `is_deleted`, so summing lines over non-deleted shipments never counts a notice twice.

Naming: `shipment.shipment_id` is the supplier's shipment identification (856 BSN02, DESADV BGM);
`shipment_line.shipment_id` is the foreign key to `shipment.id`, as every `_id` column is.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.canonical.models import CommitmentStatus, ShipmentPurpose
from gateway.store.base import Base, BigIntId, JSONType, Money, Quantity, StrEnumType, UTCDateTime


class Commitment(Base):
    __tablename__ = "commitment"
    __table_args__ = (Index("ix_commitment_line_lookup", "partner_id", "po_number", "line_number"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    partner_id: Mapped[str] = mapped_column(String(64))
    po_number: Mapped[str] = mapped_column(String(64))
    line_number: Mapped[str | None] = mapped_column(String(16))
    purchase_order_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("purchase_order_line.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[CommitmentStatus] = mapped_column(StrEnumType(CommitmentStatus))
    quantity: Mapped[Decimal | None] = mapped_column(Quantity)
    unit: Mapped[str | None] = mapped_column(String(8))
    committed_on: Mapped[dt.date | None] = mapped_column(Date)
    price: Mapped[Decimal | None] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(String(3))
    schedule: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    version_issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    version_sequence: Mapped[int] = mapped_column(Integer, default=0)
    version_revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    document_id: Mapped[str] = mapped_column(String(36), index=True)
    is_stale: Mapped[bool] = mapped_column(Boolean, default=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Shipment(Base):
    __tablename__ = "shipment"
    __table_args__ = (UniqueConstraint("partner_id", "shipment_id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    partner_id: Mapped[str] = mapped_column(String(64))
    shipment_id: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[ShipmentPurpose] = mapped_column(StrEnumType(ShipmentPurpose, 16))
    ship_on: Mapped[dt.date | None] = mapped_column(Date)
    expected_on: Mapped[dt.date | None] = mapped_column(Date)
    carrier: Mapped[str | None] = mapped_column(String(32))
    tracking: Mapped[str | None] = mapped_column(String(64))
    version_issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    version_sequence: Mapped[int] = mapped_column(Integer, default=0)
    version_revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    document_id: Mapped[str] = mapped_column(String(36), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    lines: Mapped[list[ShipmentLine]] = relationship(
        back_populates="shipment",
        lazy="raise",
        order_by="ShipmentLine.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class ShipmentLine(Base):
    __tablename__ = "shipment_line"
    __table_args__ = (Index("ix_shipment_line_po_line", "po_number", "line_number"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipment.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    po_number: Mapped[str] = mapped_column(String(64))
    line_number: Mapped[str | None] = mapped_column(String(16))
    item: Mapped[str | None] = mapped_column(String(64))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit: Mapped[str] = mapped_column(String(8))
    lot: Mapped[str | None] = mapped_column(String(64))
    sscc: Mapped[str | None] = mapped_column(String(32))

    shipment: Mapped[Shipment] = relationship(back_populates="lines", lazy="raise")
