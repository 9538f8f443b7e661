"""Webhook deliveries: one per subscriber and event, due order, the attempt log, the fan-out position."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from gateway import canonical
from gateway.store import models as db
from gateway.store import repositories as repo
from tests.db_fixtures import unique_id
from tests.store.builders import T0


def events(session: Session, n: int) -> list[int]:
    outbox = repo.OutboxRepository(session)
    return [
        outbox.append(
            type=canonical.EventType.EXCEPTION_OPENED, correlation_id="c", occurred_at=T0, payload={"n": i}
        )
        for i in range(n)
    ]


def test_a_delivery_is_created_once_per_subscriber_and_event(session: Session) -> None:
    hooks, sub = repo.WebhookRepository(session), unique_id("sub")
    cursors = events(session, 3)

    assert hooks.add_deliveries(sub, cursors, at=T0) == 3
    assert hooks.add_deliveries(sub, cursors, at=T0) == 0
    assert hooks.add_deliveries(sub, [], at=T0) == 0

    rows = hooks.list(subscriber_id=sub)
    assert [(d.event_cursor, d.status, d.attempts, d.next_attempt_at) for d in rows] == [
        (c, db.DeliveryStatus.PENDING, 0, T0) for c in cursors
    ]


def test_due_deliveries_come_oldest_due_first_and_only_while_pending(session: Session) -> None:
    hooks, sub = repo.WebhookRepository(session), unique_id("sub")
    first, second = events(session, 2)
    hooks.add_deliveries(sub, [first, second], at=T0)
    a, b = hooks.list(subscriber_id=sub)
    later = T0 + dt.timedelta(minutes=5)
    hooks.record_attempt(
        a,
        at=T0,
        status_code=500,
        duration_ms=3,
        error="HTTP 500",
        status=db.DeliveryStatus.PENDING,
        next_attempt_at=later,
    )

    due_now = [d.id for d in hooks.due(T0) if d.subscriber_id == sub]
    due_later = [d.id for d in hooks.due(later) if d.subscriber_id == sub]

    assert due_now == [b.id]
    assert due_later == [b.id, a.id]
    hooks.give_up(b, "gone", at=later)
    assert [d.id for d in hooks.due(later) if d.subscriber_id == sub] == [a.id]
    assert [(x.attempt, x.status_code, x.error) for x in hooks.attempts(a.id)] == [(1, 500, "HTTP 500")]
    assert (a.attempts, a.last_status_code, a.last_error) == (1, 500, "HTTP 500")


def test_the_fan_out_position_never_moves_back(session: Session) -> None:
    hooks, sub = repo.WebhookRepository(session), unique_id("sub")
    assert hooks.position(sub) is None

    hooks.set_position(sub, 10, at=T0)
    hooks.set_position(sub, 4, at=T0)
    session.expire_all()

    assert hooks.position(sub) == 10


def test_claiming_a_missing_delivery_gives_none(session: Session) -> None:
    assert repo.WebhookRepository(session).claim(-1) is None
