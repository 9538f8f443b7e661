"""The migrations build the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text

from gateway.store import migrate
from gateway.store import models as db
from gateway.store.session import make_engine


def test_upgrade_head_on_an_empty_sqlite_file_matches_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{(tmp_path / 'fresh' / 'gateway.db').as_posix()}"
    migrate.upgrade(url)
    migrate.check(url)
    engine = make_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) == set(db.metadata.tables) | {"alembic_version"}
    finally:
        engine.dispose()


def test_downgrade_to_base_and_upgrade_again_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{(tmp_path / 'gateway.db').as_posix()}"
    migrate.upgrade(url)
    migrate.downgrade(url, "base")
    engine = make_engine(url)
    try:
        assert inspect(engine).get_table_names() == ["alembic_version"]
    finally:
        engine.dispose()
    migrate.upgrade(url)
    migrate.check(url)


@pytest.mark.postgres
def test_upgrade_head_on_postgres_matches_the_models(postgres_url: str) -> None:
    migrate.check(postgres_url)
    engine = make_engine(postgres_url)
    try:
        with engine.connect() as connection:
            kinds: dict[str, str] = dict(
                connection.execute(
                    text(
                        "SELECT column_name, data_type FROM information_schema.columns "
                        "WHERE table_name = 'outbox_event'"
                    )
                ).all()
            )
        assert kinds["payload"] == "jsonb"
        assert kinds["occurred_at"] == "timestamp with time zone"
    finally:
        engine.dispose()


def test_the_active_case_index_is_partial_on_both_backends(engine: Engine) -> None:
    indexes = {ix["name"]: ix for ix in inspect(engine).get_indexes("exception_case")}
    active = indexes["uq_exception_case_active_type_subject"]
    assert active["unique"]
    where = active.get("dialect_options", {})
    assert any("open" in str(value) for value in where.values())
