"""What the ERP booked in and holds: goods receipts against PO lines, on-hand stock per item and plant.

`goods_receipt` keeps one row per ERP receipt id (importing it again replaces its figures), so a
line's received quantity is the sum over its rows and never counts a receipt twice.
`stock_level` keeps the latest snapshot per (item, plant).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.base import Base, BigIntId, Quantity, UTCDateTime


class GoodsReceipt(Base):
    __tablename__ = "goods_receipt"
    __table_args__ = (
        UniqueConstraint("receipt_id"),
        Index("ix_goods_receipt_po_line", "partner_id", "po_number", "line_number"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    receipt_id: Mapped[str] = mapped_column(String(64))
    partner_id: Mapped[str | None] = mapped_column(String(64))
    po_number: Mapped[str] = mapped_column(String(64))
    line_number: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit: Mapped[str] = mapped_column(String(8))
    received_on: Mapped[dt.date] = mapped_column(Date)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class StockLevel(Base):
    __tablename__ = "stock_level"
    __table_args__ = (UniqueConstraint("item", "plant"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    item: Mapped[str] = mapped_column(String(64))
    plant: Mapped[str] = mapped_column(String(32))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit: Mapped[str] = mapped_column(String(8))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
