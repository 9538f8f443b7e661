"""Value conversions of the map language (`as:` and code tables), bound once per field at compile time.

`converter(...)` returns the function the engine calls on each raw value a field picks, or None when
the raw text is kept as it is (`as: str` without a code table, and X12 `datetime`, which the engine
combines with its time when the record closes; `bad_datetime` reports a date it cannot read). A
converter reports a value it cannot read as an issue at the place it came from (an X12 segment and
element, or a tree document's node), and returns None. Dates are X12's (CCYYMMDD, HHMM), EDIFACT's
(DTM formats 101, 102, 203, 204, told apart by their length) or, for tree documents (cXML, JSON),
ISO 8601. EDIFACT numbers may use a decimal comma.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Final, Literal, Protocol

from gateway.formats.edifact.model import parse_edifact_date, parse_edifact_datetime
from gateway.formats.issues import IssueCode, Severity
from gateway.formats.tree import Node, parse_iso_date, parse_iso_datetime
from gateway.formats.x12.model import Segment, parse_x12_date, parse_x12_time

Value = str | Decimal | int | date | time | datetime | list[str]
Anchor = Segment | Node  # where a value was found: an X12 segment, or a tree document's node
Dates = Literal["x12", "iso", "edifact"]


class Reporter(Protocol):
    def issue(
        self,
        code: IssueCode,
        severity: Severity,
        seg: Anchor | None,
        message: str,
        *,
        element: int | None = None,
        tag: str | None = None,
        bad_value: str | None = None,
    ) -> None: ...

    def label(self, seg: Anchor, element: int) -> str:
        """How a person names the place: `ACK01`, or a node's path."""
        ...


# (reporter, raw value, where it sits, its element (0 in trees)) -> the value, or None when it was
# rejected (and reported)
Converter = Callable[[Reporter, str, Anchor, int], Value | None]


def converter(
    name: str,
    conversion: str,
    severity: Severity,
    table: Mapping[str, str] | None = None,
    table_name: str | None = None,
    *,
    dates: Dates = "x12",
) -> Converter | None:
    """The converter of one field (`name` and `severity` are those of its issues)."""
    if table is not None:
        return _coded(name, severity, table, table_name)
    if conversion == "decimal":
        return _decimal(name, severity) if dates != "edifact" else _edifact_decimal(name, severity)
    if conversion == "int":
        return _integer(name, severity)
    if conversion == "date":
        return {"x12": _date, "iso": _iso_date, "edifact": _edifact_date}[dates](name, severity)
    if conversion == "time":
        return _time(name, severity)
    if conversion == "datetime" and dates == "iso":
        return _iso_datetime(name, severity)
    if conversion == "datetime" and dates == "edifact":
        return _parsed(name, severity, parse_edifact_datetime, IssueCode.INVALID_DATE, "a date")
    return None  # "str" and X12 "datetime" keep the raw text


def _coded(name: str, severity: Severity, table: Mapping[str, str], table_name: str | None) -> Converter:
    lookup = table.get

    def convert(report: Reporter, raw: str, seg: Anchor, el: int) -> Value | None:
        code = lookup(raw)
        if code is None:
            report.issue(
                IssueCode.UNKNOWN_CODE,
                severity,
                seg,
                f"{report.label(seg, el)} {raw!r} is not in code table {table_name!r} ({name})",
                element=el,
                bad_value=raw,
            )
        return code

    return convert


def _parsed(
    name: str, severity: Severity, parse: Callable[[str], Value | None], code: IssueCode, what: str
) -> Converter:
    """A converter that parses with `parse` (None: unreadable) and reports `code` when it fails."""

    def convert(report: Reporter, raw: str, seg: Anchor, el: int) -> Value | None:
        value = parse(raw)
        if value is None:
            report.issue(code, severity, seg, f"{name}: {raw!r} is not {what}", element=el, bad_value=raw)
        return value

    return convert


def finite_decimal(raw: str) -> Decimal | None:
    """A finite number, or None."""
    d = _DECIMALS.get(raw)
    if d is not None:
        return d
    try:
        d = Decimal(raw)
    except InvalidOperation:
        return None
    if not d.is_finite():
        return None
    if len(_DECIMALS) >= _DECIMALS_KEPT:
        _DECIMALS.clear()
    _DECIMALS[raw] = d
    return d


# The numbers read, by their text: documents repeat a few quantities and prices over and over, and a
# Decimal is immutable (building one costs far more than a dict lookup).
_DECIMALS: Final[dict[str, Decimal]] = {}
_DECIMALS_KEPT: Final = 4096


def _whole_number(raw: str) -> int | None:
    return int(raw) if raw.isdigit() else None


def _decimal(name: str, severity: Severity) -> Converter:
    return _parsed(name, severity, finite_decimal, IssueCode.INVALID_NUMBER, "a number")


def _edifact_decimal(name: str, severity: Severity) -> Converter:
    """ISO 9735 allows a comma or a full stop as the decimal mark whatever the UNA says; EDIFACT has no
    thousands separator, so a comma is always the decimal mark."""
    return _parsed(
        name,
        severity,
        lambda raw: finite_decimal(raw.replace(",", ".")),
        IssueCode.INVALID_NUMBER,
        "a number",
    )


def _edifact_date(name: str, severity: Severity) -> Converter:
    return _parsed(name, severity, parse_edifact_date, IssueCode.INVALID_DATE, "a date")


def _integer(name: str, severity: Severity) -> Converter:
    return _parsed(name, severity, _whole_number, IssueCode.INVALID_NUMBER, "a whole number")


def _date(name: str, severity: Severity) -> Converter:
    return _parsed(name, severity, parse_x12_date, IssueCode.INVALID_DATE, "a date")


def _time(name: str, severity: Severity) -> Converter:
    return _parsed(name, severity, parse_x12_time, IssueCode.INVALID_TIME, "a time")


def _iso_date(name: str, severity: Severity) -> Converter:
    return _parsed(name, severity, parse_iso_date, IssueCode.INVALID_DATE, "an ISO 8601 date")


def _iso_datetime(name: str, severity: Severity) -> Converter:
    return _parsed(name, severity, parse_iso_datetime, IssueCode.INVALID_DATE, "an ISO 8601 date-time")


def bad_datetime(report: Reporter, name: str, severity: Severity, raw: str, seg: Segment, el: int) -> None:
    """Report an `as: datetime` field whose date text `raw` (at `seg`, element `el`) is no date: the
    engine combines the date and time texts itself (`parse_x12_datetime`) when the record closes."""
    report.issue(
        IssueCode.INVALID_DATE,
        severity,
        seg,
        f"{name}: {raw!r} is not a date",
        element=el,
        bad_value=raw,
    )
