"""What the ERP ordered and needs: purchase orders with their line ledgers, production demand.

`purchase_order_line` carries the ordered figures (from the ERP) and the ledger columns (what the
supplier committed, shipped, and what was received). `ledger` holds the whole
`correlation.LineLedger` as JSON (shipped quantities by shipment id, version stamps); the flat
columns beside it are its queryable projection, written together with it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.store.base import Base, BigIntId, JSONType, Money, Quantity, StrEnumType, UTCDateTime


class PurchaseOrderStatus(StrEnum):
    IMPORTED = "imported"  # known from the ERP, not sent by us
    SENT = "sent"  # an 850/ORDERS/OrderRequest went out
    ACKNOWLEDGED = "acknowledged"  # the supplier answered with a commitment
    CLOSED = "closed"


class PurchaseOrder(Base):
    __tablename__ = "purchase_order"
    __table_args__ = (UniqueConstraint("partner_id", "po_number"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    partner_id: Mapped[str] = mapped_column(String(64))
    po_number: Mapped[str] = mapped_column(String(64), index=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    plant: Mapped[str | None] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    order_on: Mapped[dt.date] = mapped_column(Date)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    status: Mapped[PurchaseOrderStatus] = mapped_column(StrEnumType(PurchaseOrderStatus))
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    lines: Mapped[list[PurchaseOrderLine]] = relationship(
        back_populates="purchase_order",
        lazy="raise",
        order_by="PurchaseOrderLine.id",
        cascade="all, delete-orphan",
    )


class PurchaseOrderLine(Base):
    __tablename__ = "purchase_order_line"
    __table_args__ = (UniqueConstraint("purchase_order_id", "line_number"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    purchase_order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id", ondelete="CASCADE"))
    line_number: Mapped[str] = mapped_column(String(16))
    buyer_item: Mapped[str] = mapped_column(String(64), index=True)
    supplier_item: Mapped[str | None] = mapped_column(String(64))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit: Mapped[str] = mapped_column(String(8))
    unit_price: Mapped[Decimal | None] = mapped_column(Money)
    requested_on: Mapped[dt.date | None] = mapped_column(Date)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    # ledger projection
    ack_status: Mapped[str | None] = mapped_column(String(32))
    committed_quantity: Mapped[Decimal | None] = mapped_column(Quantity)
    committed_on: Mapped[dt.date | None] = mapped_column(Date)
    committed_price: Mapped[Decimal | None] = mapped_column(Money)
    commitment_issued_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    commitment_sequence: Mapped[int | None] = mapped_column(Integer)
    shipped_quantity: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))
    received_quantity: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))
    ledger: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    purchase_order: Mapped[PurchaseOrder] = relationship(back_populates="lines", lazy="raise")


class ProductionOrder(Base):
    __tablename__ = "production_order"
    __table_args__ = (UniqueConstraint("order_id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(String(64))
    plant: Mapped[str] = mapped_column(String(32))
    item: Mapped[str | None] = mapped_column(String(64))
    start_on: Mapped[dt.date] = mapped_column(Date)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    components: Mapped[list[ComponentRequirement]] = relationship(
        back_populates="production_order",
        lazy="raise",
        order_by="ComponentRequirement.id",
        cascade="all, delete-orphan",
    )


class ComponentRequirement(Base):
    __tablename__ = "component_requirement"
    __table_args__ = (Index("ix_component_requirement_item_plant", "item", "plant"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    production_order_id: Mapped[int] = mapped_column(
        ForeignKey("production_order.id", ondelete="CASCADE"), index=True
    )
    item: Mapped[str] = mapped_column(String(64))
    plant: Mapped[str] = mapped_column(String(32))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit: Mapped[str] = mapped_column(String(8))
    need_on: Mapped[dt.date] = mapped_column(Date)

    production_order: Mapped[ProductionOrder] = relationship(back_populates="components", lazy="raise")
