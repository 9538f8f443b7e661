"""Shared request parameter types: keys, pagination.

Keys (partner ids, PO numbers, document and receipt ids) are printable ASCII, as the EDI basic
character set is; this also keeps control characters (a NUL PostgreSQL refuses) out of queries.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from pydantic import StringConstraints

KEY_PATTERN = r"^[\x20-\x7e]+$"
MAX_LIMIT = 500
DEFAULT_LIMIT = 100

Key = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=KEY_PATTERN)]

PartnerFilter = Annotated[Key | None, Query(description="Only this trading partner's records.")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Records to skip.")]


def next_offset(offset: int, limit: int, fetched: int) -> int | None:
    """The offset of the next page, or None on the last one (the query fetched `limit + 1`)."""
    return offset + limit if fetched > limit else None
