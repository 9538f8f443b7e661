"""Purchase orders (with their line ledgers) and production demand, as the ERP last sent them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import exists, literal, select
from sqlalchemy.exc import MultipleResultsFound
from sqlalchemy.orm import joinedload, selectinload

from gateway import canonical
from gateway.canonical.exceptions import ExceptionStatus, ExceptionType
from gateway.correlation.ledger import LineLedger, PurchaseOrderState, requested_date_of
from gateway.errors import ConflictError, NotFoundError
from gateway.store import models as db
from gateway.store.repositories.base import Repository

ACTIVE_STATUSES = (ExceptionStatus.OPEN, ExceptionStatus.ACKNOWLEDGED)


class PurchaseOrderRepository(Repository):
    def upsert(
        self,
        po: canonical.PurchaseOrder,
        *,
        status: db.PurchaseOrderStatus | None = None,
        at: dt.datetime | None = None,
    ) -> db.PurchaseOrder:
        """Insert or update the PO (key: partner + PO number) and its lines.

        Ordered figures are replaced; ledger columns are kept. A line missing from a new revision is
        marked `cancelled`, never deleted: its commitments and shipments still point at it.
        """
        now = self._now(at)
        row = self.get(po.po_number, partner_id=po.partner_id, lock=True)
        if row is None:
            row = db.PurchaseOrder(
                partner_id=po.partner_id,
                po_number=po.po_number,
                status=status or db.PurchaseOrderStatus.IMPORTED,
                created_at=now,
                lines=[],
            )
            self.session.add(row)
        elif status is not None:
            row.status = status
        row.revision = po.revision
        row.plant = po.plant
        row.currency = po.currency
        row.order_on = po.order_date
        row.payload = po.model_dump(mode="json")
        row.updated_at = now

        existing = {line.line_number: line for line in row.lines}
        for line in po.lines:
            line_row = existing.pop(line.line_number, None)
            if line_row is None:
                line_row = db.PurchaseOrderLine(
                    line_number=line.line_number,
                    shipped_quantity=Decimal(0),
                    received_quantity=Decimal(0),
                )
                row.lines.append(line_row)
            line_row.buyer_item = line.buyer_item
            line_row.supplier_item = line.supplier_item
            line_row.quantity = line.quantity
            line_row.unit = line.unit
            line_row.unit_price = line.unit_price
            line_row.requested_on = requested_date_of(line)
            line_row.cancelled = line.cancelled
        for dropped in existing.values():
            dropped.cancelled = True
        self.session.flush()
        return row

    def get(
        self, po_number: str, *, partner_id: str | None = None, lock: bool = False
    ) -> db.PurchaseOrder | None:
        """The PO with its lines loaded. Without `partner_id`, a PO number used by two partners is a
        `ConflictError` (say which partner).

        With `lock`, the PO row is locked until commit (`SELECT ... FOR UPDATE` on PostgreSQL) and
        the PO and its lines are read fresh: every writer of a line's ledger locks its PO first, so
        two workers correlating documents of the same PO take turns instead of each writing back
        the ledger it read (which would lose the other's shipment). SQLite serialises writers."""
        query = (
            select(db.PurchaseOrder)
            .where(db.PurchaseOrder.po_number == po_number)
            .options(selectinload(db.PurchaseOrder.lines))
        )
        if lock:
            query = query.with_for_update(of=db.PurchaseOrder).execution_options(populate_existing=True)
        if partner_id is not None:
            query = query.where(db.PurchaseOrder.partner_id == partner_id)
        try:
            return self.session.scalars(query).one_or_none()
        except MultipleResultsFound:
            raise ConflictError(f"PO {po_number} exists for several partners; name the partner") from None

    def require(self, po_number: str, *, partner_id: str | None = None) -> db.PurchaseOrder:
        row = self.get(po_number, partner_id=partner_id)
        if row is None:
            raise NotFoundError(f"purchase order {po_number} does not exist")
        return row

    def list(
        self,
        *,
        partner_id: str | None = None,
        status: db.PurchaseOrderStatus | None = None,
        with_lines: bool = False,
        limit: int = 100,
        offset: int = 0,
    ) -> Sequence[db.PurchaseOrder]:
        """By PO number. `lines` is only readable when `with_lines` (relationships raise otherwise)."""
        query = select(db.PurchaseOrder).order_by(db.PurchaseOrder.po_number, db.PurchaseOrder.partner_id)
        if partner_id is not None:
            query = query.where(db.PurchaseOrder.partner_id == partner_id)
        if status is not None:
            query = query.where(db.PurchaseOrder.status == status)
        if with_lines:
            query = query.options(selectinload(db.PurchaseOrder.lines))
        return self.session.scalars(query.limit(limit).offset(offset)).all()

    def list_for_partner(
        self,
        partner_id: str,
        *,
        after: str | None = None,
        status: db.PurchaseOrderStatus | None = None,
        open_only: bool = True,
        item: str | None = None,
        requested_from: dt.date | None = None,
        requested_to: dt.date | None = None,
        updated_since: dt.datetime | None = None,
        limit: int = 100,
    ) -> Sequence[db.PurchaseOrder]:
        """One partner's POs (lines loaded) by PO number after `after` (keyset pagination). With
        `open_only`, only POs with an open line (not cancelled, less shipped than ordered) that
        matches the line filters (`item` as buyer or supplier item, requested date range)."""
        line = db.PurchaseOrderLine
        matching = select(line.purchase_order_id)
        if open_only:
            matching = matching.where(line.cancelled.is_(False), line.shipped_quantity < line.quantity)
        if item is not None:
            matching = matching.where((line.buyer_item == item) | (line.supplier_item == item))
        if requested_from is not None:
            matching = matching.where(line.requested_on >= requested_from)
        if requested_to is not None:
            matching = matching.where(line.requested_on <= requested_to)
        query = (
            select(db.PurchaseOrder)
            .where(db.PurchaseOrder.partner_id == partner_id)
            .options(selectinload(db.PurchaseOrder.lines))
            .order_by(db.PurchaseOrder.po_number)
        )
        if open_only or item is not None or requested_from is not None or requested_to is not None:
            query = query.where(db.PurchaseOrder.id.in_(matching))
        if after is not None:
            query = query.where(db.PurchaseOrder.po_number > after)
        if status is not None:
            query = query.where(db.PurchaseOrder.status == status)
        if updated_since is not None:
            query = query.where(db.PurchaseOrder.updated_at >= updated_since)
        return self.session.scalars(query.limit(limit)).all()

    def lines(self, purchase_order_id: int) -> Sequence[db.PurchaseOrderLine]:
        query = select(db.PurchaseOrderLine).where(
            db.PurchaseOrderLine.purchase_order_id == purchase_order_id
        )
        return self.session.scalars(query.order_by(db.PurchaseOrderLine.id)).all()

    def line(self, partner_id: str, po_number: str, line_number: str) -> db.PurchaseOrderLine | None:
        query = (
            select(db.PurchaseOrderLine)
            .join(db.PurchaseOrder)
            .where(
                db.PurchaseOrder.partner_id == partner_id,
                db.PurchaseOrder.po_number == po_number,
                db.PurchaseOrderLine.line_number == line_number,
            )
        )
        return self.session.scalars(query).one_or_none()

    def mark_sent(self, purchase_order_id: int, *, at: dt.datetime | None = None) -> db.PurchaseOrder:
        row = self.session.get(db.PurchaseOrder, purchase_order_id)
        if row is None:
            raise NotFoundError(f"purchase order #{purchase_order_id} does not exist")
        row.status = db.PurchaseOrderStatus.SENT
        row.sent_at = self._now(at)
        row.updated_at = row.sent_at
        self.session.flush()
        return row

    @staticmethod
    def canonical(row: db.PurchaseOrder) -> canonical.PurchaseOrder:
        """The canonical PO as last imported."""
        return canonical.PurchaseOrder.model_validate(row.payload)

    def state(self, po_number: str, *, partner_id: str, lock: bool = False) -> PurchaseOrderState | None:
        """The PO with the stored ledgers of its lines, as correlation reads it (`lock`: see `get`)."""
        row = self.get(po_number, partner_id=partner_id, lock=lock)
        return None if row is None else self.state_of(row)

    def state_of(self, row: db.PurchaseOrder) -> PurchaseOrderState:
        ledgers = {
            line.line_number: LineLedger.model_validate(line.ledger)
            for line in row.lines
            if line.ledger is not None
        }
        return PurchaseOrderState(po=self.canonical(row), ledgers=ledgers)

    def states_for_item(self, item: str, plant: str) -> Sequence[PurchaseOrderState]:
        """Every PO for `plant` with a line ordering `item` (cancelled lines included), as `state`
        gives them; by partner and PO number."""
        ordering = select(db.PurchaseOrderLine.purchase_order_id).where(
            db.PurchaseOrderLine.buyer_item == item
        )
        query = (
            select(db.PurchaseOrder)
            .where(db.PurchaseOrder.plant == plant, db.PurchaseOrder.id.in_(ordering))
            .options(selectinload(db.PurchaseOrder.lines))
            .order_by(db.PurchaseOrder.partner_id, db.PurchaseOrder.po_number)
        )
        return [self.state_of(row) for row in self.session.scalars(query)]

    def save_ledger(self, partner_id: str, ledger: LineLedger) -> db.PurchaseOrderLine:
        """Store a line's ledger (as returned by correlation) and its flat projection."""
        row = self.line(partner_id, ledger.po_number, ledger.line_number)
        if row is None:
            raise NotFoundError(f"PO {ledger.po_number} line {ledger.line_number} does not exist")
        row.ledger = ledger.model_dump(mode="json")
        row.ack_status = str(ledger.ack_status) if ledger.ack_status is not None else None
        row.committed_quantity = ledger.committed_quantity
        row.committed_on = ledger.committed_date
        row.committed_price = ledger.committed_price
        version = ledger.commitment_version
        row.commitment_issued_at = version.issued_at if version is not None else None
        row.commitment_sequence = version.sequence if version is not None else None
        row.shipped_quantity = ledger.shipped_total
        row.received_quantity = ledger.received_quantity
        self.session.flush()
        return row


class ProductionOrderRepository(Repository):
    def upsert(
        self, order: canonical.ProductionOrder, *, at: dt.datetime | None = None
    ) -> db.ProductionOrder:
        """Insert or replace a production order (key: order id) with its component requirements."""
        query = (
            select(db.ProductionOrder)
            .where(db.ProductionOrder.order_id == order.order_id)
            .options(selectinload(db.ProductionOrder.components))
        )
        row = self.session.scalars(query).one_or_none()
        if row is None:
            row = db.ProductionOrder(order_id=order.order_id, components=[])
            self.session.add(row)
        row.plant = order.plant
        row.item = order.item
        row.start_on = order.start_date
        row.payload = order.model_dump(mode="json")
        row.updated_at = self._now(at)
        row.components.clear()
        row.components.extend(
            db.ComponentRequirement(
                item=component.item,
                plant=order.plant,
                quantity=component.quantity,
                unit=component.unit,
                need_on=component.need_date,
            )
            for component in order.components
        )
        self.session.flush()
        return row

    def get(self, order_id: str) -> db.ProductionOrder | None:
        query = (
            select(db.ProductionOrder)
            .where(db.ProductionOrder.order_id == order_id)
            .options(selectinload(db.ProductionOrder.components))
        )
        return self.session.scalars(query).one_or_none()

    def list(
        self,
        *,
        item: str | None = None,
        plant: str | None = None,
        at_risk: bool | None = None,
        limit: int = 1000,
        offset: int = 0,
    ) -> Sequence[db.ProductionOrder]:
        """Orders (components loaded) needing `item` as a component and/or at `plant`, by start date.
        `at_risk`: only those with (True) or without (False) an active production_at_risk case."""
        query = select(db.ProductionOrder).options(selectinload(db.ProductionOrder.components))
        if plant is not None:
            query = query.where(db.ProductionOrder.plant == plant)
        if item is not None:
            needing = select(db.ComponentRequirement.production_order_id).where(
                db.ComponentRequirement.item == item
            )
            query = query.where(db.ProductionOrder.id.in_(needing))
        if at_risk is not None:
            # The case's subject is `production:<order id>:item:<item>` (correlation.pegging.subject).
            risky = exists(
                select(db.ExceptionCase.id).where(
                    db.ExceptionCase.type == ExceptionType.PRODUCTION_AT_RISK,
                    db.ExceptionCase.status.in_(ACTIVE_STATUSES),
                    db.ExceptionCase.subject.like(
                        literal("production:") + db.ProductionOrder.order_id + literal(":item:%")
                    ),
                )
            )
            query = query.where(risky if at_risk else ~risky)
        query = query.order_by(db.ProductionOrder.start_on, db.ProductionOrder.order_id)
        return self.session.scalars(query.limit(limit).offset(offset)).all()

    def requirements(
        self, item: str, *, plant: str | None = None, need_by: dt.date | None = None
    ) -> Sequence[db.ComponentRequirement]:
        """Component requirements for `item` (earliest need first), optionally at a plant / up to a date."""
        query = (
            select(db.ComponentRequirement)
            .where(db.ComponentRequirement.item == item)
            .options(joinedload(db.ComponentRequirement.production_order))
        )
        if plant is not None:
            query = query.where(db.ComponentRequirement.plant == plant)
        if need_by is not None:
            query = query.where(db.ComponentRequirement.need_on <= need_by)
        query = query.order_by(db.ComponentRequirement.need_on, db.ComponentRequirement.id)
        return self.session.scalars(query).all()

    @staticmethod
    def canonical(row: db.ProductionOrder) -> canonical.ProductionOrder:
        return canonical.ProductionOrder.model_validate(row.payload)
