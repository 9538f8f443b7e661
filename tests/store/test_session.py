"""Sessions, SQLite pragmas and the portable column types."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import OperationalError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from gateway.store import models as db
from gateway.store import repositories as repo
from gateway.store.session import make_engine, session_scope


def add_receipt(session: Session, receipt_id: str, at: dt.datetime) -> db.Receipt:
    return repo.ReceiptRepository(session).add(id=receipt_id, channel="file", raw=b"ISA*00~", received_at=at)


def test_sqlite_connections_get_wal_foreign_keys_and_busy_timeout(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
    finally:
        engine.dispose()


def test_aware_datetimes_come_back_as_utc_on_both_backends(session: Session) -> None:
    paris = dt.datetime(2025, 7, 1, 14, 30, 15, 123456, tzinfo=ZoneInfo("Europe/Paris"))
    add_receipt(session, "r-tz", paris)
    session.expire_all()
    loaded = session.get(db.Receipt, "r-tz")
    assert loaded is not None
    assert loaded.received_at == paris
    assert loaded.received_at.tzinfo is dt.UTC
    assert loaded.received_at.hour == 12


def test_sqlite_stores_utc_wall_time_so_ordering_by_timestamp_is_right(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        with Session(engine) as session:
            add_receipt(session, "early", dt.datetime(2025, 1, 1, 10, tzinfo=ZoneInfo("Asia/Tokyo")))
            add_receipt(session, "late", dt.datetime(2025, 1, 1, 9, tzinfo=dt.UTC))
            session.commit()
            stored = session.execute(text("SELECT received_at FROM receipt WHERE id = 'early'")).scalar()
            assert str(stored).startswith("2025-01-01 01:00:00")
            order = session.scalars(select(db.Receipt.id).order_by(db.Receipt.received_at)).all()
            assert order == ["early", "late"]
    finally:
        engine.dispose()


def test_naive_datetimes_are_refused(session: Session) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        add_receipt(session, "r-naive", dt.datetime(2025, 1, 1, 12))


def test_session_scope_commits_once_or_rolls_back(session_factory: sessionmaker[Session]) -> None:
    at = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    with session_scope(session_factory) as session:
        add_receipt(session, "kept", at)

    def fail_half_way() -> None:
        with session_scope(session_factory) as session:
            add_receipt(session, "dropped", at)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fail_half_way()
    with session_factory() as session:
        assert session.get(db.Receipt, "kept") is not None
        assert session.get(db.Receipt, "dropped") is None
    with session_scope(session_factory) as session:  # clean up: postgres keeps data between tests
        session.execute(text("DELETE FROM receipt WHERE id = 'kept'"))


def test_the_raw_bytes_of_a_stored_receipt_cannot_be_changed(session: Session) -> None:
    receipt = add_receipt(session, "r-raw", dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    with pytest.raises(ValueError, match="immutable"):
        receipt.raw = b"tampered"


def test_sqlite_transactions_take_the_write_lock_when_they_begin(sqlite_url: str) -> None:
    engine: Engine = make_engine(sqlite_url)
    try:
        first = engine.connect()
        first.begin()
        first.execute(text("INSERT INTO control_number VALUES ('p', 'isa', 1)"))
        second = engine.connect()
        # Transactions begin IMMEDIATE: the second one queues for the write lock at BEGIN (a
        # short timeout shows it is blocked; the default waits 30 s).
        raw = second.connection.driver_connection
        assert raw is not None
        raw.execute("PRAGMA busy_timeout=50")
        with pytest.raises(OperationalError, match="locked"):
            second.begin()
        second.close()
        first.commit()
        first.close()
    finally:
        engine.dispose()
