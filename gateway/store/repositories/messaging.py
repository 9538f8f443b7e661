"""The event outbox, outbound messages, and control number allocation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select, text
from sqlalchemy.dialects import postgresql, sqlite

from gateway import canonical
from gateway.canonical.events import EventType, canonical_event_adapter
from gateway.errors import NotFoundError
from gateway.store import models as db
from gateway.store.repositories.base import Repository

# Any constant works; it only has to be the same for every writer of the outbox.
OUTBOX_LOCK_KEY = 0x6F7574626F78  # "outbox"


class OutboxRepository(Repository):
    """The feed. Events are appended in the same transaction as the change they describe.

    Cursor order is commit order: on PostgreSQL, `append` takes a transaction-scoped advisory lock
    first, so a transaction that drew cursor 11 cannot commit before the one holding 10 and a reader
    paging with `list_after(10)` never skips an event that becomes visible later. The lock is held
    to commit, so keep transactions that append events short. SQLite serialises writers anyway.
    """

    def append(
        self,
        *,
        type: EventType,
        correlation_id: str,
        occurred_at: dt.datetime,
        payload: BaseModel | Mapping[str, Any],
        partner_id: str | None = None,
        document_id: str | None = None,
        schema_version: str = canonical.SCHEMA_VERSION,
        recorded_at: dt.datetime | None = None,
    ) -> int:
        """Append one event; returns its cursor."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": OUTBOX_LOCK_KEY})
        data = payload.model_dump(mode="json") if isinstance(payload, BaseModel) else dict(payload)
        row = db.OutboxEvent(
            type=type,
            partner_id=partner_id,
            document_id=document_id,
            correlation_id=correlation_id,
            occurred_at=occurred_at,
            recorded_at=self._now(recorded_at),
            payload=data,
            schema_version=schema_version,
        )
        self.session.add(row)
        self.session.flush()
        return row.cursor

    def list_after(
        self,
        cursor: int,
        limit: int = 100,
        *,
        partner_id: str | None = None,
        types: Iterable[EventType] | None = None,
    ) -> Sequence[db.OutboxEvent]:
        """Events with a cursor greater than `cursor`, in cursor order."""
        query = select(db.OutboxEvent).where(db.OutboxEvent.cursor > cursor)
        if partner_id is not None:
            query = query.where(db.OutboxEvent.partner_id == partner_id)
        if types is not None:
            query = query.where(db.OutboxEvent.type.in_(list(types)))
        return self.session.scalars(query.order_by(db.OutboxEvent.cursor).limit(limit)).all()

    def last_cursor(self) -> int:
        """The newest cursor (0 on an empty feed)."""
        return self.session.scalar(select(func.max(db.OutboxEvent.cursor))) or 0

    @staticmethod
    def event(row: db.OutboxEvent) -> canonical.Event:
        """The stored event as the feed's `canonical.Event`, its payload loaded back into the
        canonical model it was made from (a plain dict when it was one)."""
        return canonical.Event.model_validate(
            {
                "cursor": row.cursor,
                "type": row.type,
                "schema_version": row.schema_version,
                "occurred_at": row.occurred_at,
                "recorded_at": row.recorded_at,
                "partner_id": row.partner_id,
                "document_id": row.document_id,
                "correlation_id": row.correlation_id,
                "data": _payload_model(row.type, row.payload),
            }
        )


_PAYLOAD_BY_PREFIX: dict[str, type[BaseModel]] = {
    "purchase_order.": canonical.PurchaseOrder,
    "exception.": canonical.ExceptionCase,
    "goods_receipt.": canonical.GoodsReceipt,
}


def _payload_model(type: EventType, payload: dict[str, Any]) -> BaseModel | dict[str, Any]:
    if payload.get("type") in ("commitment", "shipment", "functional_ack"):
        return canonical_event_adapter.validate_python(payload)
    for prefix, model in _PAYLOAD_BY_PREFIX.items():
        if type.startswith(prefix):
            try:
                return model.model_validate(payload)
            except ValidationError:
                return payload  # a summary dict, not the whole model
    return payload


class OutboundMessageRepository(Repository):
    def add(
        self,
        *,
        id: str,
        partner_id: str,
        kind: str,
        format: str,
        content: str,
        interchange_control: str | None = None,
        group_control: str | None = None,
        set_controls: Iterable[str] = (),
        path: str | None = None,
        status: db.OutboundStatus = db.OutboundStatus.WRITTEN,
        at: dt.datetime | None = None,
        transport: str | None = None,
    ) -> db.OutboundMessage:
        row = db.OutboundMessage(
            transport=transport,
            id=id,
            partner_id=partner_id,
            kind=kind,
            format=format,
            interchange_control=interchange_control,
            group_control=group_control,
            set_controls=list(set_controls),
            content=content,
            path=path,
            status=status,
            created_at=self._now(at),
        )
        self.session.add(row)
        self.session.flush()
        return row

    def get(self, message_id: str) -> db.OutboundMessage | None:
        return self.session.get(db.OutboundMessage, message_id)

    def find_by_group(
        self, partner_id: str, group_control: str, *, kind: str | None = None
    ) -> db.OutboundMessage | None:
        """The message whose functional group a partner's 997 (AK102) acknowledges; newest if the
        number was ever reused."""
        query = select(db.OutboundMessage).where(
            db.OutboundMessage.partner_id == partner_id, db.OutboundMessage.group_control == group_control
        )
        if kind is not None:
            query = query.where(db.OutboundMessage.kind == kind)
        query = query.order_by(db.OutboundMessage.created_at.desc(), db.OutboundMessage.id)
        return self.session.scalars(query.limit(1)).first()

    def find_by_interchange(self, partner_id: str, interchange_control: str) -> db.OutboundMessage | None:
        """The message a TA1 (ISA13) acknowledges; newest if the number was ever reused."""
        query = select(db.OutboundMessage).where(
            db.OutboundMessage.partner_id == partner_id,
            db.OutboundMessage.interchange_control == interchange_control,
        )
        query = query.order_by(db.OutboundMessage.created_at.desc(), db.OutboundMessage.id)
        return self.session.scalars(query.limit(1)).first()

    def set_status(
        self,
        message_id: str,
        status: db.OutboundStatus,
        *,
        path: str | None = None,
        ack_document_id: str | None = None,
        acked_at: dt.datetime | None = None,
        mdn_status: str | None = None,
    ) -> db.OutboundMessage:
        row = self.get(message_id)
        if row is None:
            raise NotFoundError(f"outbound message {message_id} does not exist")
        row.status = status
        if mdn_status is not None:
            row.mdn_status = mdn_status[:255]
        if path is not None:
            row.path = path
        if ack_document_id is not None:
            row.ack_document_id = ack_document_id
        if acked_at is not None:
            row.acked_at = acked_at
        self.session.flush()
        return row

    def list(
        self,
        *,
        partner_id: str | None = None,
        kind: str | None = None,
        status: db.OutboundStatus | Iterable[db.OutboundStatus] | None = None,
        created_before: dt.datetime | None = None,
        unacknowledged: bool = False,
        limit: int = 100,
        offset: int = 0,
    ) -> Sequence[db.OutboundMessage]:
        """Oldest first. `unacknowledged` + `created_before` is the SLA question ("which 850s have
        had no 997 for 24 hours?")."""
        query = select(db.OutboundMessage)
        if partner_id is not None:
            query = query.where(db.OutboundMessage.partner_id == partner_id)
        if kind is not None:
            query = query.where(db.OutboundMessage.kind == kind)
        if isinstance(status, db.OutboundStatus):
            query = query.where(db.OutboundMessage.status == status)
        elif status is not None:
            query = query.where(db.OutboundMessage.status.in_(list(status)))
        if created_before is not None:
            query = query.where(db.OutboundMessage.created_at < created_before)
        if unacknowledged:
            query = query.where(db.OutboundMessage.acked_at.is_(None))
        query = query.order_by(db.OutboundMessage.created_at, db.OutboundMessage.id)
        return self.session.scalars(query.limit(limit).offset(offset)).all()


# ISA13, GS06 and ST02 all hold at most nine digits.
MAX_CONTROL_NUMBER = 999_999_999


class ControlNumberRepository(Repository):
    """Control numbers per partner and kind: unique, increasing, persisted, never handed out twice.

    One statement does it: `INSERT ... ON CONFLICT (partner_id, kind) DO UPDATE SET last_value =
    last_value + :count RETURNING last_value`. On PostgreSQL the row lock it takes is held until
    commit, so concurrent allocators queue and each gets its own block. On SQLite writers are
    serialised (transactions start with BEGIN IMMEDIATE and wait up to `busy_timeout`). A rolled-back
    transaction gives its numbers back, which is harmless: they were never sent.

    Wrapping: the stored counter never wraps (BIGINT); the numbers handed out are the counter
    folded into 1..999999999, so after 999,999,999 allocations for one partner and kind the
    sequence starts again at 1 (X12 only asks ISA13 to be unique for a sender/receiver pair over a
    reasonable period; at one interchange a second that is 31 years away).
    """

    def allocate(self, partner_id: str, kind: db.ControlKind, count: int = 1) -> list[int]:
        if count < 1:
            raise ValueError("allocate at least one control number")
        dialect = self.session.get_bind().dialect.name
        counter = db.ControlNumber
        values = {"partner_id": partner_id, "kind": kind, "last_value": count}
        keys = [counter.partner_id, counter.kind]
        bump = {"last_value": counter.last_value + count}
        statement: postgresql.Insert | sqlite.Insert
        if dialect == "postgresql":
            statement = postgresql.insert(counter).values(values)
            statement = statement.on_conflict_do_update(index_elements=keys, set_=bump)
        elif dialect == "sqlite":
            statement = sqlite.insert(counter).values(values)
            statement = statement.on_conflict_do_update(index_elements=keys, set_=bump)
        else:
            raise NotImplementedError(f"control numbers on {dialect}")
        last = self.session.execute(statement.returning(counter.last_value)).scalar_one()
        return [(value - 1) % MAX_CONTROL_NUMBER + 1 for value in range(last - count + 1, last + 1)]

    def peek(self, partner_id: str, kind: db.ControlKind) -> int:
        """The counter's current value (0 if nothing was allocated yet); allocates nothing."""
        row = self.session.get(db.ControlNumber, (partner_id, kind))
        return row.last_value if row is not None else 0
