"""Every public X12 file in the shared corpus, read in place.

Valid files read without FormatError and yield the transaction sets their names announce; `invalid_`
files give a FormatError or at least one error issue; nothing raises anything else. Valid interchanges
also survive parse-then-write (line breaks and indentation between segments aside).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from gateway.errors import FormatError
from gateway.formats.issues import Issue, Severity
from gateway.formats.x12.model import (
    GroupClosed,
    GroupOpened,
    InterchangeClosed,
    InterchangeOpened,
    TA1Received,
    TransactionSet,
    X12Item,
)
from gateway.formats.x12.reader import read
from gateway.formats.x12.writer import OutSegment, write_isa, write_segment
from tests.conftest import REPO_ROOT

CORPUS = Path(os.environ.get("GATEWAY_SHARED_DIR") or REPO_ROOT.parent / "shared") / "corpus" / "x12"

# Invalid files whose faults lie beyond the envelope: segment and element syntax is checked by the maps
# (gateway.mapping), not by the codec, so the codec reads them clean.
BEYOND_THE_ENVELOPE = {
    "invalid_850_004010_syntax-note-violations_ediengine.edi": "PO1/PO4 syntax notes are checked by maps",
    "invalid_997_005010_codes-not-in-codeset_staedi.edi": "AK1/AK4 code values are checked by maps",
    "invalid_856_002001_bang-terminator_stupidedi.edi": (
        "its envelope is consistent; what makes it invalid is release 002001 content, which no map reads"
    ),
}


def corpus_names() -> list[str]:
    return sorted(p.name for p in CORPUS.glob("*.edi")) if CORPUS.is_dir() else []


def params(names: list[str]) -> list[object]:
    out: list[object] = []
    for name in names:
        reason = BEYOND_THE_ENVELOPE.get(name)
        marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
        out.append(pytest.param(name, marks=marks, id=name))
    return out


VALID = [n for n in corpus_names() if not n.startswith("invalid_")]
INVALID = [n for n in corpus_names() if n.startswith("invalid_")]


def read_file(shared_dir: Path, name: str) -> list[X12Item]:
    path = shared_dir / "corpus" / "x12" / name
    with path.open("rb") as stream:
        return list(read(stream, file_name=name))


def errors(found: list[X12Item]) -> list[Issue]:
    return [
        i
        for item in found
        if isinstance(item, TransactionSet | GroupClosed | InterchangeClosed)
        for i in item.issues
        if i.severity is Severity.ERROR
    ]


def announced_set_ids(name: str) -> set[str]:
    """The set ids in a corpus file name: `810-850_...` announces 810 and 850; `ta1_...` none."""
    head = name.removeprefix("invalid_").split("_")[0]
    return set(re.findall(r"\d{3}", head))


def test_the_corpus_is_there(shared_dir: Path) -> None:
    assert VALID, f"no X12 files under {shared_dir}/corpus/x12"


@pytest.mark.parametrize("name", params(VALID))
def test_valid_file_reads_and_yields_its_sets(shared_dir: Path, name: str) -> None:
    found = read_file(shared_dir, name)
    ids = {i.set_id for i in found if isinstance(i, TransactionSet)}
    assert ids == announced_set_ids(name)
    if name.startswith("ta1_"):
        assert any(isinstance(i, TA1Received) for i in found)
    assert errors(found) == []


@pytest.mark.parametrize("name", params(INVALID))
def test_invalid_file_gives_a_format_error_or_an_error_issue(shared_dir: Path, name: str) -> None:
    try:
        found = read_file(shared_dir, name)
    except FormatError:
        return
    assert errors(found), "an invalid file read clean"


# Files where writing what was read does not reproduce the input, with the reason. The writer always
# writes a fixed-width ISA, so a short ISA06 comes back padded to 15.
NOT_ROUND_TRIPPED = {
    "810_004010_ariba-nonfixed-width-isa_tabs_edinet.edi": "the writer pads the non-fixed-width ISA to 106",
    "997_isb-ise-optional-interchange-segments_staedi.edi": "ISB/ISE are skipped by the reader",
    "850_004010_tilde-elements-star-terminator_isa12-00300_oopfactory.edi": "ISA06 has 14 characters",
    "997_004010_backtick-isa16-newline-terminator_stupidedi.edi": "ISA06 has 12 characters",
}


def normalized(text: str, term: str) -> list[str]:
    """Segments without the line breaks and indentation around them."""
    return [s.strip(" \t\r\n") for s in text.split(term) if s.strip(" \t\r\n")]


def rewrite(found: list[X12Item]) -> str:
    """The interchanges as the writer writes what the reader read."""
    out: list[str] = []
    for item in found:
        if isinstance(item, InterchangeOpened):
            out.append(write_isa(item.header))
        elif isinstance(item, GroupOpened):
            h = item.header
            gs = [h.functional_id, h.application_sender, h.application_receiver, h.date, h.time]
            gs += [h.control_number, h.agency, h.version]
            out.append(write_segment(OutSegment("GS", tuple(gs)), item.interchange.delimiters))
        elif isinstance(item, TransactionSet):
            out.extend(write_segment(s, item.delimiters) for s in item.segments)
        elif isinstance(item, TA1Received):
            out.append(write_segment(item.segment, item.interchange.delimiters))
        elif isinstance(item, GroupClosed):
            ge = (str(item.declared_set_count), item.declared_control_number or "")
            out.append(write_segment(OutSegment("GE", ge), item.interchange.delimiters))
        else:
            iea = (str(item.declared_group_count), item.declared_control_number or "")
            out.append(write_segment(OutSegment("IEA", iea), item.header.delimiters))
    return "".join(out)


@pytest.mark.parametrize("name", [n for n in VALID if n not in NOT_ROUND_TRIPPED])
def test_parse_then_write_reproduces_the_interchange(shared_dir: Path, name: str) -> None:
    raw = (shared_dir / "corpus" / "x12" / name).read_bytes().removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    found = read_file(shared_dir, name)
    opened = next(i for i in found if isinstance(i, InterchangeOpened))
    term = opened.header.delimiters.segment
    assert normalized(rewrite(found), term) == normalized(raw, term)
