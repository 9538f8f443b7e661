"""The values of canonical events written as JSON text, byte for byte as `pydantic_core.to_json`
writes them (and so as the models' `model_dump_json()` does): what the targets' JSON writers
(`commitment.write`, `shipment.write`) put between their fixed pieces of text.

Text is escaped as `to_json` escapes it, which is what the standard library's C `encode_basestring`
does (`"`, `\\` and the control characters below U+0020, nothing else), kept for the texts a
document repeats. A Decimal is its text in quotes, kept for the Decimal objects a document repeats.
Dates and datetimes are written by `to_json` itself, once per distinct value (a document repeats
its few dates); only UTC datetimes are kept: an aware datetime of another zone compares equal to
the UTC one of the same instant and is written with its own offset.

Why: on an 855's commitment `to_json` of the draft spent about 28,000 instructions (it infers the
type of every value), more than building the commitment.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from json.encoder import encode_basestring
from typing import Final

import pydantic_core

__all__ = ["day", "moment", "number", "quoted", "text"]

# Final: a compiled build keeps them in C statics instead of looking them up in the module's dict.
_MOMENTS: Final[dict[date, str]] = {}  # dates and UTC datetimes as written, quotes included
_NUMBERS: Final[dict[int, tuple[Decimal, str]]] = {}  # by id, checked by identity
_TEXTS: Final[dict[str, str]] = {}  # strings as written, quotes included
_KEPT: Final = 4096  # entries of each
_encode: Final = encode_basestring
_DATE: Final = date  # C statics in a compiled build, not module dict look-ups
_DATETIME: Final = datetime
_UTC: Final = UTC


def quoted(value: str) -> str:
    """A JSON string."""
    written = _TEXTS.get(value)
    if written is None:
        written = _encode(value)
        if len(_TEXTS) >= _KEPT:
            _TEXTS.clear()
        _TEXTS[value] = written
    return written


def text(value: str | None) -> str:
    """A JSON string, or null."""
    return "null" if value is None else quoted(value)


def number(value: Decimal | None) -> str:
    """A Decimal as `to_json` writes it (its text, quoted), or null."""
    if value is None:
        return "null"
    # Kept by identity (keyed by id, which costs no Decimal hash; the entry holds the Decimal, so
    # its id is not reused while it is kept): equal Decimals may differ in their text (1.5, 1.50),
    # and the engine gives the same Decimal for the same text (`conversions.finite_decimal`).
    kept = _NUMBERS.get(id(value))
    if kept is not None and kept[0] is value:
        return kept[1]
    if not value.is_finite():
        return pydantic_core.to_json(value).decode()
    written = '"' + str(value) + '"'  # digits, '.', 'E' and signs: nothing to escape
    if len(_NUMBERS) >= _KEPT:
        _NUMBERS.clear()
    _NUMBERS[id(value)] = (value, written)
    return written


def day(value: date | None) -> str:
    """A date (or a datetime) as `to_json` writes it, or null."""
    if value is None:
        return "null"
    return moment(value)


def moment(value: date) -> str:
    """A date or a datetime as `to_json` writes it."""
    if type(value) is not _DATE and (not isinstance(value, _DATETIME) or value.tzinfo is not _UTC):
        return pydantic_core.to_json(value).decode()
    written = _MOMENTS.get(value)
    if written is None:
        written = pydantic_core.to_json(value).decode()
        if len(_MOMENTS) >= _KEPT:
            _MOMENTS.clear()
        _MOMENTS[value] = written
    return written
