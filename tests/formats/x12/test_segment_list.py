"""A set's segments as the reader keeps them: the body as text, split into elements on first use."""

from __future__ import annotations

import pickle

from gateway.formats.x12.model import Segment, SegmentList, TransactionSet
from gateway.formats.x12.runs import split_runs
from tests.formats.x12.text import group, interchange, items, set_855


def _set(text: str) -> TransactionSet:
    found = [i for i in items(text) if isinstance(i, TransactionSet)]
    assert len(found) == 1
    return found[0]


def test_the_segments_of_a_set_read_as_the_tuple_of_split_segments() -> None:
    ts = _set(interchange(group([set_855()])))
    segs = ts.segments
    assert isinstance(segs, SegmentList)
    assert len(segs) == 5
    assert segs[0] == Segment("ST", ("855", "0001"), 1, segs[0].offset)
    assert segs[-1].tag == "SE"
    assert segs[-1].elements == ("5", "0001")
    split = tuple(segs)
    assert [s.tag for s in split] == ["ST", "BAK", "PO1", "CTT", "SE"]
    assert [s.position for s in split] == [1, 2, 3, 4, 5]
    assert split[2].elements == ("1", "10", "EA", "5", "", "BP", "PART1")
    assert segs == split
    assert split == segs
    assert hash(segs) == hash(split)
    assert segs[1:3] == split[1:3]
    assert ts.body == split[1:4]


def test_offsets_point_at_each_segment_in_the_text() -> None:
    text = interchange(group([set_855()]))
    for seg in _set(text).segments:
        assert text[seg.offset :].startswith(seg.tag + "*")


def test_a_set_without_se_keeps_its_last_body_segment_last() -> None:
    ts = _set(interchange(group([set_855()[:-1]])))
    assert [s.tag for s in ts.segments] == ["ST", "BAK", "PO1", "CTT"]
    assert ts.segments[-1].tag == "CTT"
    trailer = [i for i in ts.issues if i.location.segment_tag == "CTT"]
    assert trailer
    assert trailer[0].location.segment_position == 4


def test_runs_of_segments_split_into_segments_with_their_offsets() -> None:
    first = Segment("ST", ("855", "0001"), 1, 0)
    last = Segment("SE", ("5", "0001"), 5, 45)
    # A run of two segments (terminator and line break between them), then a single segment.
    runs = [("BAK*00*AC~\nPO1*1**EA", 12, "~\n"), ("CTT*1", 36, "")]
    segs = SegmentList(first, runs, last, "*")
    assert len(segs) == 5
    assert segs.last_body_tag() == "CTT"
    assert segs.body_text() == (runs, "*")
    assert split_runs(runs) == (["BAK*00*AC", "PO1*1**EA", "CTT*1"], [12, 23, 36])
    assert tuple(segs) == (
        first,
        Segment("BAK", ("00", "AC"), 2, 12),
        Segment("PO1", ("1", "", "EA"), 3, 23),
        Segment("CTT", ("1",), 4, 36),
        last,
    )
    assert segs.body_text() is None  # split now: readers use the segments
    assert segs.last_body_tag() == "CTT"
    assert SegmentList(first, [], None, "*").last_body_tag() is None


def test_a_segment_list_pickles_as_its_tuple() -> None:
    segs = _set(interchange(group([set_855()]))).segments
    assert pickle.loads(pickle.dumps(segs)) == tuple(segs)
