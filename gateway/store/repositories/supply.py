"""Commitments (every one received) and shipments (the current version of each ship notice)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from gateway import canonical
from gateway.store import models as db
from gateway.store.repositories.base import Repository


class CommitmentRepository(Repository):
    def add(
        self,
        commitment: canonical.Commitment,
        *,
        is_stale: bool = False,
        purchase_order_line_id: int | None = None,
        at: dt.datetime | None = None,
    ) -> db.Commitment:
        """Record a commitment as received. Stale ones (older than the one applied) are recorded too,
        flagged `is_stale`, so the history is complete."""
        row = db.Commitment(
            partner_id=commitment.partner_id,
            po_number=commitment.po_number,
            line_number=commitment.line_number,
            purchase_order_line_id=purchase_order_line_id,
            status=commitment.status,
            quantity=commitment.quantity,
            unit=commitment.unit,
            committed_on=commitment.committed_date,
            price=commitment.unit_price,
            currency=commitment.currency,
            schedule=[line.model_dump(mode="json") for line in commitment.schedule],
            version_issued_at=commitment.version.issued_at,
            version_sequence=commitment.version.sequence,
            version_revision=commitment.version.revision,
            document_id=commitment.document_id,
            is_stale=is_stale,
            payload=commitment.model_dump(mode="json"),
            recorded_at=self._now(at),
        )
        self.session.add(row)
        self.session.flush()
        return row

    def latest_for_line(
        self, partner_id: str, po_number: str, line_number: str | None
    ) -> db.Commitment | None:
        """The newest non-stale commitment for the line (by version stamp, then arrival);
        `line_number=None` asks for header-level commitments."""
        query = select(db.Commitment).where(
            db.Commitment.partner_id == partner_id,
            db.Commitment.po_number == po_number,
            db.Commitment.is_stale.is_(False),
        )
        if line_number is None:
            query = query.where(db.Commitment.line_number.is_(None))
        else:
            query = query.where(db.Commitment.line_number == line_number)
        query = query.order_by(
            db.Commitment.version_issued_at.desc(),
            db.Commitment.version_sequence.desc(),
            db.Commitment.id.desc(),
        )
        return self.session.scalars(query.limit(1)).first()

    def list_for_po(self, partner_id: str, po_number: str) -> Sequence[db.Commitment]:
        """Every commitment recorded for the PO, in arrival order."""
        query = select(db.Commitment).where(
            db.Commitment.partner_id == partner_id, db.Commitment.po_number == po_number
        )
        return self.session.scalars(query.order_by(db.Commitment.id)).all()

    def for_document(self, document_id: str) -> Sequence[db.Commitment]:
        query = select(db.Commitment).where(db.Commitment.document_id == document_id)
        return self.session.scalars(query.order_by(db.Commitment.id)).all()

    @staticmethod
    def canonical(row: db.Commitment) -> canonical.Commitment:
        return canonical.Commitment.model_validate(row.payload)


class UpsertOutcome(StrEnum):
    CREATED = "created"  # first version of this shipment id
    REPLACED = "replaced"  # a newer version replaced the lines
    DELETED = "deleted"  # a newer version with purpose "delete"
    UNCHANGED = "unchanged"  # the same version again (a replay, a duplicate): nothing changed
    STALE = "stale"  # older than the stored version: ignored


@dataclass(frozen=True, slots=True)
class ShipmentUpsert:
    shipment: db.Shipment
    outcome: UpsertOutcome

    @property
    def applied(self) -> bool:
        return self.outcome in (UpsertOutcome.CREATED, UpsertOutcome.REPLACED, UpsertOutcome.DELETED)


@dataclass(frozen=True, slots=True)
class ShippedTotal:
    """Shipped quantity of one PO line in one unit, over distinct non-deleted shipments."""

    po_number: str
    line_number: str | None
    unit: str
    quantity: Decimal
    shipments: int


class ShipmentRepository(Repository):
    """One row per (partner, shipment id), holding the newest version; lines are replaced, never
    added to, so processing a notice twice or replacing it never doubles a quantity."""

    def upsert(self, shipment: canonical.Shipment, *, at: dt.datetime | None = None) -> ShipmentUpsert:
        """Apply a ship notice. Newer wins by version stamp; an equal stamp is a replay
        (`UNCHANGED`); an older one is `STALE`. Purpose `delete` marks the shipment deleted (and
        records a deleted row if none existed, so an older original arriving later stays out)."""
        now = self._now(at)
        row = self.get(shipment.partner_id, shipment.shipment_id)
        version = shipment.version
        if row is not None:
            stored = canonical.VersionStamp(
                issued_at=row.version_issued_at, sequence=row.version_sequence, revision=row.version_revision
            )
            if version.key() == stored.key():
                return ShipmentUpsert(row, UpsertOutcome.UNCHANGED)
            if stored.is_newer_than(version):
                return ShipmentUpsert(row, UpsertOutcome.STALE)
            outcome = UpsertOutcome.REPLACED
        else:
            row = db.Shipment(
                partner_id=shipment.partner_id, shipment_id=shipment.shipment_id, created_at=now, lines=[]
            )
            self.session.add(row)
            outcome = UpsertOutcome.CREATED
        deleting = shipment.purpose is canonical.ShipmentPurpose.DELETE
        row.purpose = shipment.purpose
        row.ship_on = shipment.ship_date
        row.expected_on = shipment.expected_delivery
        row.carrier = shipment.carrier
        row.tracking = shipment.tracking_number
        row.version_issued_at = version.issued_at
        row.version_sequence = version.sequence
        row.version_revision = version.revision
        row.document_id = shipment.document_id
        row.payload = shipment.model_dump(mode="json")
        row.is_deleted = deleting
        row.updated_at = now
        if not deleting:
            row.lines.clear()
            row.lines.extend(
                db.ShipmentLine(
                    position=position,
                    po_number=line.po_number,
                    line_number=line.line_number,
                    item=line.buyer_item or line.supplier_item or line.upc,
                    quantity=line.quantity,
                    unit=line.unit,
                    lot=line.lot,
                    sscc=line.sscc,
                )
                for position, line in enumerate(shipment.lines, start=1)
            )
        self.session.flush()
        return ShipmentUpsert(row, UpsertOutcome.DELETED if deleting else outcome)

    def delete(
        self, partner_id: str, shipment_id: str, *, at: dt.datetime | None = None
    ) -> db.Shipment | None:
        """Mark a shipment deleted (an operator's action; a partner's delete notice goes through
        `upsert`). Its lines are kept for history and no longer count. None if unknown."""
        row = self.get(partner_id, shipment_id)
        if row is None:
            return None
        row.is_deleted = True
        row.updated_at = self._now(at)
        self.session.flush()
        return row

    def get(self, partner_id: str, shipment_id: str, *, lock: bool = False) -> db.Shipment | None:
        """The shipment with its lines loaded (deleted ones included: check `is_deleted`); with
        `lock`, locked until commit and read fresh (two versions of one notice take turns)."""
        query = (
            select(db.Shipment)
            .where(db.Shipment.partner_id == partner_id, db.Shipment.shipment_id == shipment_id)
            .options(selectinload(db.Shipment.lines))
        )
        if lock:
            query = query.with_for_update(of=db.Shipment).execution_options(populate_existing=True)
        return self.session.scalars(query).one_or_none()

    def arrivals(self, partner_id: str, shipment_ids: Iterable[str]) -> dict[str, dt.date | None]:
        """When each shipment is expected: its expected delivery, else its ship date, else None.
        Unknown and deleted shipments are absent."""
        ids = sorted(set(shipment_ids))
        if not ids:
            return {}
        query = select(db.Shipment.shipment_id, db.Shipment.expected_on, db.Shipment.ship_on).where(
            db.Shipment.partner_id == partner_id,
            db.Shipment.shipment_id.in_(ids),
            db.Shipment.is_deleted.is_(False),
        )
        return {sid: expected or shipped for sid, expected, shipped in self.session.execute(query)}

    def list_for_po(self, partner_id: str, po_number: str) -> Sequence[db.Shipment]:
        """Non-deleted shipments with a line for the PO, lines loaded, oldest first."""
        on_po = select(db.ShipmentLine.shipment_id).where(db.ShipmentLine.po_number == po_number)
        query = (
            select(db.Shipment)
            .where(
                db.Shipment.partner_id == partner_id,
                db.Shipment.is_deleted.is_(False),
                db.Shipment.id.in_(on_po),
            )
            .options(selectinload(db.Shipment.lines))
            .order_by(db.Shipment.created_at, db.Shipment.id)
        )
        return self.session.scalars(query).all()

    def shipped_totals(self, partner_id: str, po_number: str) -> list[ShippedTotal]:
        """Shipped quantity per PO line and unit, summed over the partner's non-deleted shipments.
        Units are not converted here: a line shipped in two units has two totals."""
        query = (
            select(
                db.ShipmentLine.line_number,
                db.ShipmentLine.unit,
                func.sum(db.ShipmentLine.quantity),
                func.count(func.distinct(db.ShipmentLine.shipment_id)),
            )
            .join(db.Shipment)
            .where(
                db.Shipment.partner_id == partner_id,
                db.Shipment.is_deleted.is_(False),
                db.ShipmentLine.po_number == po_number,
            )
            .group_by(db.ShipmentLine.line_number, db.ShipmentLine.unit)
            .order_by(db.ShipmentLine.line_number, db.ShipmentLine.unit)
        )
        return [
            ShippedTotal(po_number, line_number, unit, Decimal(total or 0), count)
            for line_number, unit, total, count in self.session.execute(query)
        ]

    def shipped_quantity(
        self, partner_id: str, po_number: str, line_number: str | None, unit: str
    ) -> Decimal:
        """Shipped quantity of one PO line in `unit` (0 when nothing shipped)."""
        return sum(
            (
                total.quantity
                for total in self.shipped_totals(partner_id, po_number)
                if total.line_number == line_number and total.unit == unit
            ),
            Decimal(0),
        )
