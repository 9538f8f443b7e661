"""Goods receipts and on-hand stock as the ERP reports them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select

from gateway import canonical
from gateway.store import models as db
from gateway.store.repositories.base import Repository


class GoodsReceiptRepository(Repository):
    def upsert(self, receipt: canonical.GoodsReceipt, *, at: dt.datetime | None = None) -> db.GoodsReceipt:
        """Record a receipt; the same receipt id again replaces its figures (never adds a second row)."""
        row = self.session.scalars(
            select(db.GoodsReceipt).where(db.GoodsReceipt.receipt_id == receipt.receipt_id)
        ).one_or_none()
        if row is None:
            row = db.GoodsReceipt(receipt_id=receipt.receipt_id)
            self.session.add(row)
        row.partner_id = receipt.partner_id
        row.po_number = receipt.po_number
        row.line_number = receipt.line_number
        row.quantity = receipt.quantity
        row.unit = receipt.unit
        row.received_on = receipt.received_on
        row.recorded_at = self._now(at)
        self.session.flush()
        return row

    def for_line(self, partner_id: str, po_number: str, line_number: str) -> Sequence[db.GoodsReceipt]:
        """The receipts of one PO line: those naming the partner and those naming none."""
        query = select(db.GoodsReceipt).where(
            (db.GoodsReceipt.partner_id == partner_id) | db.GoodsReceipt.partner_id.is_(None),
            db.GoodsReceipt.po_number == po_number,
            db.GoodsReceipt.line_number == line_number,
        )
        return self.session.scalars(query.order_by(db.GoodsReceipt.received_on, db.GoodsReceipt.id)).all()

    @staticmethod
    def canonical(row: db.GoodsReceipt) -> canonical.GoodsReceipt:
        return canonical.GoodsReceipt(
            receipt_id=row.receipt_id,
            partner_id=row.partner_id,
            po_number=row.po_number,
            line_number=row.line_number,
            quantity=row.quantity,
            unit=row.unit,
            received_on=row.received_on,
        )


class StockRepository(Repository):
    def upsert(self, level: canonical.StockLevel, *, at: dt.datetime | None = None) -> db.StockLevel:
        """Replace the snapshot of (item, plant)."""
        row = self.get(level.item, level.plant)
        if row is None:
            row = db.StockLevel(item=level.item, plant=level.plant)
            self.session.add(row)
        row.quantity = level.quantity
        row.unit = level.unit
        row.updated_at = self._now(at)
        self.session.flush()
        return row

    def get(self, item: str, plant: str) -> db.StockLevel | None:
        query = select(db.StockLevel).where(db.StockLevel.item == item, db.StockLevel.plant == plant)
        return self.session.scalars(query).one_or_none()
