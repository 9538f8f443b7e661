"""The declarative base, the constraint naming convention and the portable column types.

Portable means the same models run on SQLite (the embedded default) and PostgreSQL:

- `UTCDateTime`: timezone-aware UTC datetimes on both. SQLite has no time zone storage, so values
  are stored as UTC wall time and given `UTC` back on load; PostgreSQL stores `timestamptz`.
  Naive datetimes are refused on the way in (a naive value is a bug, not a guess to make).
- `JSONType`: `JSON`, `JSONB` on PostgreSQL.
- `StrEnumType`: a code list stored as a short string (no native enum: adding a value needs no
  migration), loaded back as the `StrEnum` member.
- `Money` / `Quantity`: `Numeric` with fixed scale. SQLite keeps NUMERIC as REAL internally; the
  scale rounds values back to exact `Decimal`s on load.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Integer, MetaData, Numeric, String
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

E = TypeVar("E", bound=StrEnum)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """`DateTime(timezone=True)` that always round-trips as an aware UTC datetime."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: the store keeps timezone-aware UTC datetimes")
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class StrEnumType(TypeDecorator[E], Generic[E]):
    """A `StrEnum` stored as `VARCHAR(length)`, loaded back as the member."""

    impl = String
    cache_ok = True

    def __init__(self, enum_class: type[E], length: int = 32) -> None:
        super().__init__(length)
        self.enum_class = enum_class

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return str(self.enum_class(value))

    def process_result_value(self, value: str | None, dialect: Dialect) -> E | None:
        if value is None:
            return None
        return self.enum_class(value)


JSONType = JSON().with_variant(postgresql.JSONB(), "postgresql")
# A 64-bit surrogate key that is still SQLite's rowid (only INTEGER PRIMARY KEY is).
BigIntId = BigInteger().with_variant(Integer(), "sqlite")
Quantity = Numeric(18, 4)
Money = Numeric(18, 6)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {dt.datetime: UTCDateTime()}
