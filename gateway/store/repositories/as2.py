"""AS2 messages and MDNs: the non-repudiation record of every AS2 transmission, in and out."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from gateway.errors import NotFoundError
from gateway.store import models as db
from gateway.store.repositories.base import Repository


def dedupe_key(direction: db.Direction, as2_from: str, message_id: str) -> str:
    return f"{direction}:{as2_from}:{message_id}"[:400]


class AS2MessageRepository(Repository):
    def add(
        self,
        *,
        direction: db.Direction,
        status: db.AS2Status,
        at: dt.datetime,
        raw: bytes | None = None,
        id: str | None = None,
        **fields: Any,
    ) -> db.AS2Message:
        """One message; `fields` are further columns (as2_from, message_id, partner_id, ...)."""
        row = db.AS2Message(
            id=id or str(uuid.uuid4()),
            direction=direction,
            status=status,
            raw=raw,
            attempts=fields.pop("attempts", 0),
            signed=fields.pop("signed", False),
            encrypted=fields.pop("encrypted", False),
            compressed=fields.pop("compressed", False),
            mdn_signed=fields.pop("mdn_signed", False),
            created_at=at,
            updated_at=at,
            **fields,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def get(self, row_id: str) -> db.AS2Message | None:
        return self.session.get(db.AS2Message, row_id)

    def require(self, row_id: str) -> db.AS2Message:
        row = self.get(row_id)
        if row is None:
            raise NotFoundError(f"AS2 message {row_id} does not exist")
        return row

    def update(self, row_id: str, *, at: dt.datetime, **fields: Any) -> db.AS2Message:
        """Set columns of a message (never `raw` once written: the bytes are the evidence)."""
        row = self.require(row_id)
        if "raw" in fields and row.raw is not None:
            raise ValueError(f"AS2 message {row_id}: raw bytes are immutable once stored")
        for name, value in fields.items():
            setattr(row, name, value)
        row.updated_at = at
        self.session.flush()
        return row

    def processed(self, direction: db.Direction, as2_from: str, message_id: str) -> db.AS2Message | None:
        """The processed message with this AS2-From and Message-ID, if any (the duplicate check)."""
        query = select(db.AS2Message).where(
            db.AS2Message.dedupe_key == dedupe_key(direction, as2_from, message_id)
        )
        return self.session.scalars(query).first()

    def history(self, direction: db.Direction, as2_from: str, message_id: str) -> Sequence[db.AS2Message]:
        """Every copy received or sent under this AS2-From and Message-ID, oldest first."""
        query = (
            select(db.AS2Message)
            .where(
                db.AS2Message.direction == direction,
                db.AS2Message.as2_from == as2_from,
                db.AS2Message.message_id == message_id,
            )
            .order_by(db.AS2Message.created_at, db.AS2Message.id)
        )
        return self.session.scalars(query).all()

    def outbound_by_message_id(self, message_id: str) -> db.AS2Message | None:
        """Our message a partner's MDN answers (by its Original-Message-ID)."""
        query = select(db.AS2Message).where(
            db.AS2Message.direction == db.Direction.OUTBOUND, db.AS2Message.message_id == message_id
        )
        return self.session.scalars(query.order_by(db.AS2Message.created_at.desc()).limit(1)).first()

    def for_outbound_message(self, outbound_message_id: str) -> db.AS2Message | None:
        query = select(db.AS2Message).where(db.AS2Message.outbound_message_id == outbound_message_id)
        return self.session.scalars(query.limit(1)).first()

    def due(self, now: dt.datetime, limit: int = 100) -> Sequence[db.AS2Message]:
        """Outbound messages to send (again) now, oldest first."""
        query = (
            select(db.AS2Message)
            .where(
                db.AS2Message.direction == db.Direction.OUTBOUND,
                db.AS2Message.status == db.AS2Status.PENDING,
                (db.AS2Message.next_attempt_at.is_(None)) | (db.AS2Message.next_attempt_at <= now),
            )
            .order_by(db.AS2Message.created_at, db.AS2Message.id)
        )
        return self.session.scalars(query.limit(limit)).all()

    def list(
        self,
        *,
        partner_id: str | None = None,
        direction: db.Direction | None = None,
        limit: int = 100,
    ) -> Sequence[db.AS2Message]:
        """Newest first."""
        query = select(db.AS2Message)
        if partner_id is not None:
            query = query.where(db.AS2Message.partner_id == partner_id)
        if direction is not None:
            query = query.where(db.AS2Message.direction == direction)
        query = query.order_by(db.AS2Message.created_at.desc(), db.AS2Message.id)
        return self.session.scalars(query.limit(limit)).all()


class AS2MdnRepository(Repository):
    def add(
        self,
        *,
        as2_message_id: str,
        direction: db.Direction,
        disposition: str,
        raw: bytes,
        mode: str,
        delivery: db.MdnDelivery,
        at: dt.datetime,
        **fields: Any,
    ) -> db.AS2Mdn:
        row = db.AS2Mdn(
            id=str(uuid.uuid4()),
            as2_message_id=as2_message_id,
            direction=direction,
            disposition=disposition[:255],
            raw=raw,
            mode=mode,
            delivery=delivery,
            attempts=fields.pop("attempts", 0),
            signed=fields.pop("signed", False),
            created_at=at,
            **fields,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def get(self, mdn_id: str) -> db.AS2Mdn | None:
        return self.session.get(db.AS2Mdn, mdn_id)

    def require(self, mdn_id: str) -> db.AS2Mdn:
        row = self.get(mdn_id)
        if row is None:
            raise NotFoundError(f"MDN {mdn_id} does not exist")
        return row

    def update(self, mdn_id: str, **fields: Any) -> db.AS2Mdn:
        row = self.require(mdn_id)
        if "raw" in fields:
            raise ValueError(f"MDN {mdn_id}: raw bytes are immutable once stored")
        for name, value in fields.items():
            setattr(row, name, value)
        self.session.flush()
        return row

    def for_message(self, as2_message_id: str) -> Sequence[db.AS2Mdn]:
        query = select(db.AS2Mdn).where(db.AS2Mdn.as2_message_id == as2_message_id)
        return self.session.scalars(query.order_by(db.AS2Mdn.created_at, db.AS2Mdn.id)).all()

    def due(self, now: dt.datetime, limit: int = 100) -> Sequence[db.AS2Mdn]:
        """Our asynchronous MDNs to post (again) now, oldest first."""
        query = (
            select(db.AS2Mdn)
            .where(
                db.AS2Mdn.delivery == db.MdnDelivery.PENDING,
                (db.AS2Mdn.next_attempt_at.is_(None)) | (db.AS2Mdn.next_attempt_at <= now),
            )
            .order_by(db.AS2Mdn.created_at, db.AS2Mdn.id)
        )
        return self.session.scalars(query.limit(limit)).all()
