"""Runs of set segments as the X12 reader cuts them (see `reader.py` and `model.SegmentList`).

A run is the text of one or more whole segments of a set's body, the character offset of its first
segment in the decoded file, and the separator between its segments: the segment terminator, with
the line break that follows it when every terminator of the chunk it came from has one; "" when the
run is a single segment (which then holds no terminator).
"""

from __future__ import annotations

from collections.abc import Sequence

Run = tuple[str, int, str]


def split_runs(runs: Sequence[Run]) -> tuple[list[str], list[int]]:
    """The segment texts of `runs` and the offset of each."""
    pieces: list[str] = []
    starts: list[int] = []
    for text, start, sep in runs:
        if not sep:
            pieces.append(text)
            starts.append(start)
            continue
        step = len(sep)
        for piece in text.split(sep):
            pieces.append(piece)
            starts.append(start)
            start += len(piece) + step
    return pieces, starts


def count_runs(runs: Sequence[Run]) -> int:
    """How many segments `runs` hold (without splitting them)."""
    n = 0
    for text, _, sep in runs:
        n += text.count(sep) + 1 if sep else 1
    return n
