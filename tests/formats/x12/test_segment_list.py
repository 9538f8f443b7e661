"""A set's segments as the reader keeps them: the body as text, split into elements on first use."""

from __future__ import annotations

import pickle

from gateway.formats.x12.model import Segment, SegmentList, TransactionSet
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


def test_pieces_give_back_what_the_list_was_made_of_before_and_after_splitting() -> None:
    first = Segment("ST", ("855", "0001"), 1, 0)
    last = Segment("SE", ("4", "0001"), 4, 40)
    fresh = SegmentList(first, ["BAK*00*AC", "PO1*1**EA"], [12, 23], last, "*")
    used = SegmentList(first, ["BAK*00*AC", "PO1*1**EA"], [12, 23], last, "*")
    assert used[1] == Segment("BAK", ("00", "AC"), 2, 12)
    assert fresh.pieces() == used.pieces() == (first, ["BAK*00*AC", "PO1*1**EA"], [12, 23], last, "*")
    rebuilt = SegmentList(*fresh.pieces())
    assert rebuilt == used


def test_a_segment_list_pickles_as_its_tuple() -> None:
    segs = _set(interchange(group([set_855()]))).segments
    assert pickle.loads(pickle.dumps(segs)) == tuple(segs)
