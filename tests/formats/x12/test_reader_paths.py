"""The reader's two ways through a chunk (all segments at once when the chunk is clean, one at a time
when there are blanks to strip or empty segments) give the same items."""

from __future__ import annotations

import pytest

from gateway.formats.x12.model import TransactionSet, X12Item
from tests.formats.x12.text import group, interchange, items, set_855


def shape(found: list[X12Item]) -> list[tuple[str, list[tuple[str, tuple[str, ...], int]]]]:
    """Sets as (control number, segments without offsets)."""
    return [
        (i.control_number, [(s.tag, s.elements, s.position) for s in i.segments])
        for i in found
        if isinstance(i, TransactionSet)
    ]


def many_sets(n: int) -> str:
    return interchange(group([set_855(f"{i:04d}") for i in range(n)]))


@pytest.mark.parametrize("chunk_size", [64, 1000, 1 << 20])
def test_blank_lines_and_indents_read_like_a_clean_file(chunk_size: int) -> None:
    clean = many_sets(300).replace("~", "~\n")
    dirty = clean.replace("~\nPO1", "~\n\n  PO1").replace("~\nCTT", "~\r\n\tCTT")
    found = items(dirty, chunk_size=chunk_size)
    assert shape(found) == shape(items(clean, chunk_size=chunk_size))
    for ts in found:
        if isinstance(ts, TransactionSet):
            for seg in ts.segments:
                assert dirty[seg.offset : seg.offset + len(seg.tag)] == seg.tag


def test_an_inline_isa_with_other_delimiters_is_read_with_them_in_a_clean_chunk() -> None:
    first = many_sets(50)
    second = interchange(group([set_855("0777")]), control="000000002").replace("*", "|")
    found = items(first + second)
    sets = [i for i in found if isinstance(i, TransactionSet)]
    assert len(sets) == 51
    assert sets[-1].segments[1].elements == ("00", "AC", "PO1", "20240110")
    assert all(not s.issues for s in sets)
    text = first + second
    assert text[sets[-1].segments[1].offset :].startswith("BAK|00")


def test_offsets_match_the_one_at_a_time_path() -> None:
    text = many_sets(200).replace("~", "~\n")
    whole = items(text)
    by_byte = items(text, chunk_size=7)
    assert whole == by_byte
