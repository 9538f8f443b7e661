"""Fixtures of the channel tests: fresh databases (SQLite and PostgreSQL)."""

from tests.pipeline.support import fresh_database

__all__ = ["fresh_database"]
