"""The outbox, outbound messages and control numbers (also under concurrent writers)."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.orm import Session, sessionmaker

from gateway import canonical
from gateway.store import models as db
from gateway.store import repositories as repo
from gateway.store.session import session_scope
from tests.db_fixtures import unique_id
from tests.store.builders import T0, make_shipment


def test_outbox_cursors_increase_and_list_after_pages_through_them(session: Session) -> None:
    outbox = repo.OutboxRepository(session)
    start = outbox.last_cursor()
    shipment = make_shipment()
    cursors = [
        outbox.append(
            type=canonical.EventType.SHIPMENT_RECEIVED,
            correlation_id="doc-856",
            occurred_at=T0,
            payload=shipment,
            partner_id="acme",
            document_id="doc-856",
        )
        for _ in range(3)
    ]
    assert cursors == sorted(cursors)
    assert cursors[0] > start
    page = outbox.list_after(start, limit=2)
    assert [e.cursor for e in page] == cursors[:2]
    assert [e.cursor for e in outbox.list_after(cursors[1])] == cursors[2:]
    event = outbox.event(page[0])
    assert event.data == shipment
    assert event.type is canonical.EventType.SHIPMENT_RECEIVED
    assert outbox.list_after(start, types=[canonical.EventType.EXCEPTION_OPENED]) == []


def test_outbound_messages_are_found_by_group_and_interchange_and_acknowledged(session: Session) -> None:
    messages = repo.OutboundMessageRepository(session)
    messages.add(
        id="m1",
        partner_id="acme",
        kind="850",
        format="x12",
        content="ISA*...~",
        interchange_control="000000001",
        group_control="1",
        set_controls=["0001"],
        at=T0,
    )
    assert (
        messages.list(partner_id="acme", unacknowledged=True, created_before=T0 + dt.timedelta(days=1))[0].id
        == "m1"
    )
    found = messages.find_by_group("acme", "1", kind="850")
    assert found is not None
    assert messages.find_by_interchange("acme", "000000001") is found
    messages.set_status("m1", db.OutboundStatus.ACCEPTED, ack_document_id="d997", acked_at=T0)
    assert messages.list(partner_id="acme", unacknowledged=True) == []
    assert messages.list(partner_id="acme", status=[db.OutboundStatus.ACCEPTED])[0].set_controls == ["0001"]


def test_control_numbers_are_allocated_in_increasing_blocks_per_partner_and_kind(session: Session) -> None:
    numbers = repo.ControlNumberRepository(session)
    assert numbers.allocate("acme", db.ControlKind.ISA) == [1]
    assert numbers.allocate("acme", db.ControlKind.ISA, count=3) == [2, 3, 4]
    assert numbers.allocate("acme", db.ControlKind.GS) == [1]
    assert numbers.allocate("borealis", db.ControlKind.ISA) == [1]
    assert numbers.peek("acme", db.ControlKind.ISA) == 4


def test_control_numbers_wrap_to_one_after_999999999(session: Session) -> None:
    session.add(db.ControlNumber(partner_id="acme", kind=db.ControlKind.ISA, last_value=999_999_998))
    session.flush()
    numbers = repo.ControlNumberRepository(session)
    assert numbers.allocate("acme", db.ControlKind.ISA, count=3) == [999_999_999, 1, 2]


def test_concurrent_writers_never_get_the_same_control_number(session_factory: sessionmaker[Session]) -> None:
    partner = unique_id("partner")

    def allocate_many(_: int) -> list[int]:
        got: list[int] = []
        for _ in range(50):
            with session_scope(session_factory) as session:
                got += repo.ControlNumberRepository(session).allocate(partner, db.ControlKind.ISA)
        return got

    with ThreadPoolExecutor(max_workers=8) as pool:
        per_thread = list(pool.map(allocate_many, range(8)))
    every = [n for numbers in per_thread for n in numbers]
    assert sorted(every) == list(range(1, 401))
    assert all(numbers == sorted(numbers) for numbers in per_thread)
