"""Webhook deliveries, their attempt log and the per-subscriber fan-out position."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from gateway.store import models as db
from gateway.store.repositories.base import Repository


class WebhookRepository(Repository):
    """Deliveries are created by the fan-out and changed only by `record_attempt` and `give_up`."""

    def _insert(self, model: type[db.Base]) -> postgresql.Insert | sqlite.Insert:
        dialect = self.session.get_bind().dialect.name
        if dialect == "postgresql":
            return postgresql.insert(model)
        if dialect == "sqlite":
            return sqlite.insert(model)
        raise NotImplementedError(f"webhook deliveries on {dialect}")

    # ------------------------------------------------------------------------------------ fan-out

    def position(self, subscriber_id: str) -> int | None:
        """How far the subscriber's fan-out has read the outbox (None: never). Locks the row until
        commit on PostgreSQL, so two sweeps fan out one after the other."""
        query = select(db.WebhookFanout.last_cursor).where(db.WebhookFanout.subscriber_id == subscriber_id)
        return self.session.scalar(query.with_for_update())

    def set_position(self, subscriber_id: str, cursor: int, *, at: dt.datetime | None = None) -> None:
        now = self._now(at)
        statement = self._insert(db.WebhookFanout).values(
            subscriber_id=subscriber_id, last_cursor=cursor, updated_at=now
        )
        # Never move back: two sweeps racing on a first fan-out both write here.
        larger = func.max if self.session.get_bind().dialect.name == "sqlite" else func.greatest
        statement = statement.on_conflict_do_update(
            index_elements=[db.WebhookFanout.subscriber_id],
            set_={
                "last_cursor": larger(statement.excluded.last_cursor, db.WebhookFanout.last_cursor),
                "updated_at": now,
            },
        )
        self.session.execute(statement)

    def add_deliveries(
        self, subscriber_id: str, cursors: Iterable[int], *, at: dt.datetime | None = None
    ) -> int:
        """A pending delivery per event cursor, due now; existing ones are left alone. Returns how
        many were new."""
        now = self._now(at)
        rows = [
            {
                "subscriber_id": subscriber_id,
                "event_cursor": cursor,
                "status": db.DeliveryStatus.PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "updated_at": now,
            }
            for cursor in cursors
        ]
        if not rows:
            return 0
        statement = self._insert(db.WebhookDelivery).values(rows).on_conflict_do_nothing()
        result = self.session.execute(statement.returning(db.WebhookDelivery.id))
        return len(result.all())

    # ----------------------------------------------------------------------------------- delivery

    def due(self, now: dt.datetime, limit: int = 100) -> Sequence[db.WebhookDelivery]:
        """Pending deliveries whose next attempt is due, oldest due first."""
        query = (
            select(db.WebhookDelivery)
            .where(
                db.WebhookDelivery.status == db.DeliveryStatus.PENDING,
                db.WebhookDelivery.next_attempt_at <= now,
            )
            .order_by(db.WebhookDelivery.next_attempt_at, db.WebhookDelivery.id)
        )
        return self.session.scalars(query.limit(limit)).all()

    def get(self, delivery_id: int) -> db.WebhookDelivery | None:
        return self.session.get(db.WebhookDelivery, delivery_id)

    def claim(self, delivery_id: int) -> db.WebhookDelivery | None:
        """The delivery, locked until commit (PostgreSQL; SQLite serialises writers anyway), or None
        when it does not exist or another worker holds it."""
        query = (
            select(db.WebhookDelivery)
            .where(db.WebhookDelivery.id == delivery_id)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
        return self.session.scalars(query).one_or_none()

    def record_attempt(
        self,
        delivery: db.WebhookDelivery,
        *,
        at: dt.datetime,
        status_code: int | None,
        duration_ms: int,
        error: str | None,
        status: db.DeliveryStatus,
        next_attempt_at: dt.datetime | None,
    ) -> db.WebhookAttempt:
        """Log one attempt and move the delivery on (delivered, dead, or pending until `next_attempt_at`)."""
        delivery.attempts += 1
        attempt = db.WebhookAttempt(
            delivery_id=delivery.id,
            attempt=delivery.attempts,
            attempted_at=at,
            status_code=status_code,
            duration_ms=duration_ms,
            error=error,
        )
        self.session.add(attempt)
        delivery.status = status
        delivery.last_status_code = status_code
        delivery.last_error = error
        delivery.next_attempt_at = next_attempt_at
        delivery.updated_at = at
        self.session.flush()
        return attempt

    def give_up(self, delivery: db.WebhookDelivery, reason: str, *, at: dt.datetime) -> None:
        """Dead without another attempt (the subscriber is no longer configured)."""
        delivery.status = db.DeliveryStatus.DEAD
        delivery.last_error = reason
        delivery.next_attempt_at = None
        delivery.updated_at = at
        self.session.flush()

    # --------------------------------------------------------------------------------------- reads

    def list(
        self,
        *,
        subscriber_id: str | None = None,
        status: db.DeliveryStatus | None = None,
        limit: int = 100,
    ) -> Sequence[db.WebhookDelivery]:
        query = select(db.WebhookDelivery)
        if subscriber_id is not None:
            query = query.where(db.WebhookDelivery.subscriber_id == subscriber_id)
        if status is not None:
            query = query.where(db.WebhookDelivery.status == status)
        return self.session.scalars(query.order_by(db.WebhookDelivery.id).limit(limit)).all()

    def attempts(self, delivery_id: int) -> Sequence[db.WebhookAttempt]:
        query = select(db.WebhookAttempt).where(db.WebhookAttempt.delivery_id == delivery_id)
        return self.session.scalars(query.order_by(db.WebhookAttempt.attempt)).all()
