"""Alembic environment: runs on the connection or URL `gateway.store.migrate` hands over.

SQLite gets batch mode (ALTER TABLE is recreated as copy-and-move). PostgreSQL gets a lock timeout,
so a migration waiting behind a long transaction fails instead of stalling every query queued
behind its lock.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from gateway.store import models as db
from gateway.store.session import make_engine

POSTGRES_LOCK_TIMEOUT = "10s"


def run_on(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{POSTGRES_LOCK_TIMEOUT}'")
    context.configure(
        connection=connection,
        target_metadata=db.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        compare_server_default=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if isinstance(connection, Connection):
        run_on(connection)
        return
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database: pass a connection or a url (see gateway.store.migrate)")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            run_on(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported; run them against a database")
run()
