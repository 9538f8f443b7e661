"""Fixtures of the pipeline tests: a fresh database per test (SQLite and PostgreSQL) and a runtime."""

from tests.pipeline.support import fresh_database, runtime

__all__ = ["fresh_database", "runtime"]
