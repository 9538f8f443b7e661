"""Shared request parameter types: keys, pagination.

Keys (partner ids, PO numbers, document and receipt ids) are printable ASCII, as the EDI basic
character set is; this also keeps control characters (a NUL PostgreSQL refuses) out of queries.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Annotated

from fastapi import Query
from pydantic import AwareDatetime, BeforeValidator, StringConstraints

from gateway.errors import GatewayError

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


Cursor = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=200,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="`next_cursor` of the previous page (none: the first page).",
    ),
]


class InvalidCursorError(GatewayError):
    status = 422
    type = "/problems/invalid-cursor"
    title = "Invalid cursor"


def encode_cursor(value: str) -> str:
    """An opaque page cursor for a position (a key of the last item of a page)."""
    return base64.urlsafe_b64encode(f"v1:{value}".encode()).decode("ascii").rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    """The position a cursor names; `InvalidCursorError` for one this API did not make."""
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidCursorError("the cursor is not one this API gave") from None
    version, sep, value = text.partition(":")
    if version != "v1" or not sep or not value.isprintable():
        raise InvalidCursorError("the cursor is not one this API gave")
    return value


def _iso_only(value: object) -> object:
    """Refuse a bare number: pydantic would read it as a Unix time, the contract says ISO 8601."""
    if isinstance(value, str) and value.strip().lstrip("+-").replace(".", "", 1).isdigit():
        raise ValueError("an ISO 8601 date or date-time, not a number")
    if isinstance(value, int | float) and not isinstance(value, bool):  # a JSON number
        raise ValueError("an ISO 8601 date or date-time, not a number")
    return value


# A date-time with its offset, as ISO 8601 text (never a naive time, never a Unix timestamp).
IsoDatetime = Annotated[AwareDatetime, BeforeValidator(_iso_only)]
# A calendar date as ISO 8601 text (YYYY-MM-DD), never a Unix timestamp.
IsoDate = Annotated[dt.date, BeforeValidator(_iso_only)]
