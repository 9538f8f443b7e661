"""The tree model JSON documents become, and ISO 8601 dates."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.errors import FormatError
from gateway.formats.tree import (
    MAX_DEPTH,
    TreeLimitError,
    from_json,
    parse_iso_date,
    parse_iso_datetime,
    parse_json,
    walk,
)


def test_json_members_become_children_and_arrays_repeat_their_name() -> None:
    root = from_json(
        parse_json(b'{"po": "45", "qty": 1.50, "ok": true, "gone": null, "lines": [{"n": 1}, {"n": 2}]}')
    )
    assert [(n.name, n.path, n.value()) for n in walk(root)][1:] == [
        ("po", "/po", "45"),
        ("qty", "/qty", "1.50"),  # numbers exactly as written
        ("ok", "/ok", "true"),
        ("lines", "/lines/0", ""),
        ("n", "/lines/0/n", "1"),
        ("lines", "/lines/1", ""),
        ("n", "/lines/1/n", "2"),
    ]
    assert root.first("gone") is None


def test_a_top_level_array_holds_items_and_pointer_parts_are_escaped() -> None:
    root = from_json(parse_json(b'[{"a/b~c": "x"}]'))
    (item,) = root.named("item")
    assert item.path == "/0"
    assert [c.path for c in item.children] == ["/0/a~1b~0c"]


def test_json_nested_past_the_limit_is_refused() -> None:
    deep: object = "x"
    for _ in range(MAX_DEPTH + 1):
        deep = {"a": deep}
    with pytest.raises(TreeLimitError):
        from_json(deep)


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"{", "not JSON"), (b'{"a": NaN}', "not JSON"), (b"\xff\xfe", "UTF-8"), (b"[" * 100_000, "nested")],
)
def test_unreadable_json_is_a_format_error(data: bytes, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        parse_json(data, file_name="x.json")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_read_as_json_or_raise_a_format_error(data: bytes) -> None:
    with contextlib.suppress(FormatError):
        from_json(parse_json(data))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2012-09-04T02:37:49-05:00", datetime(2012, 9, 4, 7, 37, 49, tzinfo=UTC)),
        ("2025-03-06T09:00:00Z", datetime(2025, 3, 6, 9, tzinfo=UTC)),
        ("2025-03-06T09:00:00", datetime(2025, 3, 6, 9, tzinfo=UTC)),
        ("2025-03-06", datetime(2025, 3, 6, tzinfo=UTC)),
        ("06.03.2025", None),
        ("", None),
    ],
)
def test_iso_datetimes_read_as_utc(text: str, expected: datetime | None) -> None:
    assert parse_iso_datetime(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2012-09-05T23:00:00-05:00", date(2012, 9, 5)),  # the writer's own calendar day
        ("2025-03-18", date(2025, 3, 18)),
        ("2025-02-30", None),
        ("soon", None),
    ],
)
def test_iso_dates_keep_the_writers_calendar_day(text: str, expected: date | None) -> None:
    assert parse_iso_date(text) == expected
