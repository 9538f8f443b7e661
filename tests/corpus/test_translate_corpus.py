"""Every public X12 file of the shared corpus through `translate_x12`, with the repository's maps and
partners.

- A valid file of a set we map (850, 855, 856, 997) translates to events carrying the PO numbers the
  file holds. Those are found by a deliberately simple scan written here (BEG03 in 850s, BAK03 in
  855s, PRF01 in 856s; AK102 for 997s), independent of the reader and the maps.
- An `invalid_` file gives a FormatError or at least one error issue.
- No file raises anything else.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest

from gateway.errors import FormatError
from gateway.formats.issues import Issue, Severity
from gateway.formats.x12.model import GroupClosed, InterchangeClosed, TA1Received
from gateway.mapping import MapRegistry
from gateway.partners.registry import PartnerRegistry, load_partners
from gateway.pipeline.translate import SetOutcome, translate_x12
from tests.pipeline.support import MAPS_DIR, PARTNERS_DIR, REPO_ROOT

# Collection needs the names before fixtures exist; `shared_dir` resolves the same place.
CORPUS = Path(os.environ.get("GATEWAY_SHARED_DIR") or REPO_ROOT.parent / "shared") / "corpus" / "x12"
MAPPED = {"850", "855", "856", "997"}
PO_ELEMENT = {"850": ("BEG", 3), "855": ("BAK", 3), "856": ("PRF", 1), "997": ("AK1", 2)}

# Files whose sets we knowingly do not translate (the strict xfail flags the day we do).
UNSUPPORTED = {
    "810-850_004010-003010_two-groups-one-isa_staedi.edi": "its 850 group is release 003010: no map for it",
    "856_004060_isa11-dash_nodex12.edi": "release 004060; the 856 maps cover 004010 and 005010 only",
    "invalid_856_002001_bang-terminator_stupidedi.edi": (
        "release 002001: no map reads it, so the content that makes it invalid is never checked"
    ),
    "invalid_997_005010_codes-not-in-codeset_staedi.edi": (
        "the 997 maps check neither AK101 against the functional identifier codes nor AK402 as numeric"
    ),
}


def corpus_names() -> list[str]:
    return sorted(p.name for p in CORPUS.glob("*.edi")) if CORPUS.is_dir() else ["(corpus missing)"]


def params(names: list[str]) -> list[object]:
    return [
        pytest.param(
            name,
            id=name,
            marks=[pytest.mark.xfail(strict=True, reason=UNSUPPORTED[name])] if name in UNSUPPORTED else [],
        )
        for name in names
    ]


NAMES = corpus_names()
VALID = [n for n in NAMES if not n.startswith("invalid_")]
INVALID = [n for n in NAMES if n.startswith("invalid_")]


@pytest.fixture(scope="module")
def maps() -> MapRegistry:
    return MapRegistry.load(MAPS_DIR)


@pytest.fixture(scope="module")
def partners() -> PartnerRegistry:
    return load_partners(PARTNERS_DIR)


# -------------------------------------------------------------------------- an independent scan


def scan(text: str) -> dict[str, set[str]]:
    """Set id -> the PO numbers (AK102 for 997s) its segments hold, splitting on the delimiters each
    ISA declares at its fixed positions (element at 3, terminator after ISA16)."""
    found: dict[str, set[str]] = {}
    for start in [m.start() for m in re.finditer("ISA", text)]:
        element = text[start + 3]
        fields = text[start:].split(element, 16)
        if len(fields) < 17:
            continue
        terminator = fields[16][1]
        end = text.find(f"IEA{element}", start)
        body = text[start : end if end >= 0 else len(text)]
        current = ""
        for raw in body.split(terminator):
            seg = raw.strip("\r\n\t ").split(element)
            if seg[0] == "ST":
                current = seg[1]
            tag_pos = PO_ELEMENT.get(current)
            if tag_pos and seg[0] == tag_pos[0] and len(seg) > tag_pos[1] and seg[tag_pos[1]]:
                found.setdefault(current, set()).add(seg[tag_pos[1]])
    return found


def translate(name: str, maps: MapRegistry, partners: PartnerRegistry) -> list[object]:
    data = (CORPUS / name).read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    return list(translate_x12(data, content_sha256=sha, maps=maps, partners=partners, file_name=name))


def numbers_in_events(outcome: SetOutcome) -> set[str]:
    out: set[str] = set()
    for event in outcome.events:
        if hasattr(event, "po_number"):
            out.add(event.po_number)
        for line in getattr(event, "lines", None) or ():
            if hasattr(line, "po_number"):
                out.add(line.po_number)
        if hasattr(event, "group_control_number"):
            out.add(event.group_control_number)
    return out


def error_issues(items: list[object]) -> list[Issue]:
    return [
        issue
        for item in items
        if isinstance(item, SetOutcome | GroupClosed | InterchangeClosed)
        for issue in item.issues
        if issue.severity is Severity.ERROR
    ]


# ----------------------------------------------------------------------------------------- tests


def test_the_corpus_is_there(shared_dir: Path) -> None:
    assert (shared_dir / "corpus" / "x12").resolve() == CORPUS.resolve()
    assert VALID
    assert INVALID


@pytest.mark.parametrize("name", params(VALID))
def test_a_valid_file_translates_to_events_carrying_its_po_numbers(
    name: str, maps: MapRegistry, partners: PartnerRegistry
) -> None:
    items = translate(name, maps, partners)
    outcomes = [item for item in items if isinstance(item, SetOutcome)]
    if not outcomes:  # an interchange carrying only a TA1 holds no set
        assert any(isinstance(item, TA1Received) for item in items)
        return
    expected = scan((CORPUS / name).read_text("latin-1"))
    mapped = [o for o in outcomes if o.ts.set_id in MAPPED]
    for outcome in outcomes:
        if outcome.ts.set_id not in MAPPED:
            assert outcome.skipped is not None, f"set {outcome.ts.set_id} is reported as skipped"
    for set_id in {o.ts.set_id for o in mapped}:
        of_type = [o for o in mapped if o.ts.set_id == set_id]
        assert all(o.skipped is None for o in of_type), [o.skipped for o in of_type]
        assert all(o.events for o in of_type), f"each {set_id} gives events"
        found = set().union(*(numbers_in_events(o) for o in of_type))
        assert found == expected.get(set_id, set()), set_id


@pytest.mark.parametrize("name", params(INVALID))
def test_an_invalid_file_gives_a_format_error_or_an_error_issue(
    name: str, maps: MapRegistry, partners: PartnerRegistry
) -> None:
    try:
        items = translate(name, maps, partners)
    except FormatError as exc:
        location = exc.location
    else:
        assert error_issues(items), "no FormatError and no error issue"
        return
    assert location is not None, "a FormatError says where reading stopped"
