"""The map language and engine: picks, loops, conversions, issues with locations, extends and overrides."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gateway import mapping
from gateway.canonical import models as canonical
from gateway.errors import MappingError, NoMapError
from gateway.formats.issues import IssueCode, Severity
from gateway.mapping.spec import parse_pick
from tests.mapping.x12text import interchange, transaction_sets

MAPS = Path(__file__).resolve().parents[2] / "edi_maps"
CTX = mapping.MapContext(partner_id="acme", document_id="doc-1")


@pytest.fixture(scope="module")
def registry() -> mapping.MapRegistry:
    return mapping.MapRegistry.load(MAPS)


def run_855(
    registry: mapping.MapRegistry, body: list[str], overrides: dict[str, str] | None = None
) -> mapping.MappingResult:
    [ts] = transaction_sets(interchange(body, set_id="855", functional_id="PR"))
    return mapping.translate_x12(registry, ts, CTX, overrides)


def commitments(result: mapping.MappingResult) -> list[canonical.Commitment]:
    out = [e for e in result.events if isinstance(e, canonical.Commitment)]
    assert len(out) == len(result.events)
    return out


def test_parses_element_component_condition_and_pair_picks() -> None:
    p = parse_pick("REF02 where REF01=VN|PO and REF03=X")
    assert (p.tag, p.element, p.where) == ("REF", 2, ((1, frozenset({"VN", "PO"})), (3, frozenset({"X"}))))
    assert parse_pick("TD503-2").component == 2
    pair = parse_pick("PO1 pair BP|IN from 06")
    assert (pair.element, pair.pair_codes) == (6, frozenset({"BP", "IN"}))
    assert parse_pick("GS04").is_envelope


@pytest.mark.parametrize("bad", ["REF", "REF2", "REF02 where N101=ST", "PO1 pair from 06", "ref02", "REF00"])
def test_rejects_malformed_picks(bad: str) -> None:
    with pytest.raises(ValueError, match="pick"):
        parse_pick(bad)


def test_qualifier_condition_takes_only_the_matching_segment(registry: mapping.MapRegistry) -> None:
    result = run_855(registry, ["BAK*00*AT*PO-1*20240301", "REF*IA*NOT-THIS", "REF*VN*SO-9"])
    [event] = commitments(result)
    assert event.supplier_reference == "SO-9"


def test_first_pick_in_priority_wins_whatever_the_segment_order(registry: mapping.MapRegistry) -> None:
    result = run_855(registry, ["BAK*00*AT*PO-1*20240301****FROM-BAK", "REF*VN*FROM-REF"])
    assert commitments(result)[0].supplier_reference == "FROM-REF"
    result = run_855(registry, ["BAK*00*AT*PO-1*20240301****FROM-BAK"])
    assert commitments(result)[0].supplier_reference == "FROM-BAK"


def test_occurred_at_is_the_document_date_with_the_group_time(registry: mapping.MapRegistry) -> None:
    result = run_855(registry, ["BAK*00*AT*PO-1*20240301"])
    assert commitments(result)[0].occurred_at.isoformat() == "2024-03-01T09:30:00+00:00"
    assert commitments(result)[0].version.sequence == 101
    assert commitments(result)[0].version.source == "x12:855:000000101"


def test_missing_element_is_reported_at_its_segment_and_element(registry: mapping.MapRegistry) -> None:
    result = run_855(registry, ["BAK*00*AT**20240301"])
    assert commitments(result) == []
    issue = next(i for i in result.issues if i.code is IssueCode.MANDATORY_ELEMENT_MISSING)
    loc = issue.location
    assert (loc.segment_position, loc.segment_tag, loc.element, loc.transaction) == (2, "BAK", 3, "0001")
    assert issue.severity is Severity.ERROR


def test_missing_segment_is_a_missing_value_naming_the_expected_tag(registry: mapping.MapRegistry) -> None:
    result = run_855(registry, ["REF*VN*SO-1", "PO1*1*5*EA"])
    codes = {(i.code, i.location.segment_tag, i.location.element) for i in result.issues}
    assert (IssueCode.MISSING_VALUE, "BAK", 3) in codes


def test_unknown_code_is_reported_with_its_value_and_location(registry: mapping.MapRegistry) -> None:
    result = run_855(registry, ["BAK*00*AC*PO-1*20240301", "PO1*1*5*EA", "ACK*Q9*5*EA"])
    [issue] = result.issues
    assert issue.code is IssueCode.UNKNOWN_CODE
    assert (issue.location.segment_position, issue.location.element, issue.bad_value) == (4, 1, "Q9")
    assert commitments(result)[0].status == "pending"


def test_loops_nest_and_end_at_tags_outside_them(registry: mapping.MapRegistry) -> None:
    body = [
        "BAK*00*AC*PO-1*20240301",
        "PO1*1*10*EA*2**BP*A",
        "ACK*IA*4*EA*068*20240310",
        "DTM*002*20240401",
        "ACK*IA*6*EA*068*20240320",
        "PO1*2*3*EA*1**BP*B",
        "CTT*2",
    ]
    first, second = commitments(run_855(registry, body))
    assert [s.quantity for s in first.schedule] == [4, 6]
    assert first.committed_date is not None
    assert first.committed_date.isoformat() == "2024-03-20"
    assert (second.line_number, second.schedule, second.status) == ("2", (), "accepted_with_changes")


def test_header_only_reject_gives_one_order_level_commitment(registry: mapping.MapRegistry) -> None:
    [event] = commitments(run_855(registry, ["BAK*00*RJ*PO-1*20240301"]))
    assert (event.line_number, event.status) == (None, "rejected")


def test_invalid_numbers_dates_and_times_are_reported(registry: mapping.MapRegistry) -> None:
    result = run_855(registry, ["BAK*00*AC*PO-1*20240301", "PO1*1*1O*EA", "ACK*IA*x*EA*068*20241301"])
    codes = sorted(i.code for i in result.issues)
    assert codes == [IssueCode.INVALID_DATE, IssueCode.INVALID_NUMBER, IssueCode.INVALID_NUMBER]


def test_override_changes_picks_and_adds_codes(registry: mapping.MapRegistry) -> None:
    body = ["BAK*00*AC*THEIRS*20240301", "REF*PO*OURS", "PO1*1*5*EA", "ACK*ZA*5*EA*079*20240310"]
    base = run_855(registry, body)
    assert commitments(base)[0].po_number == "THEIRS"
    assert any(i.code is IssueCode.UNKNOWN_CODE for i in base.issues)
    patched = run_855(registry, body, {"x12/855": "x12/855/overrides/acme.yaml"})
    assert patched.issues == ()
    event = commitments(patched)[0]
    assert (event.po_number, event.status, event.schedule[0].date_kind) == ("OURS", "accepted", "ship")


def test_version_map_extends_its_parent(registry: mapping.MapRegistry) -> None:
    v4 = registry.resolve("x12", "855", "004010")
    v5 = registry.resolve("x12", "855", "005010X999")
    assert v5.key == "x12/855/005010.yaml"
    assert v5.spec.extends == "x12/855/004010.yaml"
    assert v5.spec.fields == v4.spec.fields
    assert registry.resolve("x12", "855", "00401").key == v4.key


@pytest.mark.parametrize("doctype", ["810", "940", "214", "860"])
def test_documents_without_a_map_raise_no_map_error(registry: mapping.MapRegistry, doctype: str) -> None:
    with pytest.raises(NoMapError):
        registry.resolve("x12", doctype, "004010")


def test_a_release_without_a_map_raises_no_map_error(registry: mapping.MapRegistry) -> None:
    with pytest.raises(NoMapError):
        registry.resolve("x12", "855", "003050")


def test_an_override_that_does_not_exist_is_a_mapping_error(registry: mapping.MapRegistry) -> None:
    with pytest.raises(MappingError, match="does not exist"):
        registry.resolve("x12", "855", "004010", {"x12/855": "x12/855/overrides/nobody.yaml"})


def test_applying_a_map_to_another_set_type_is_a_mapping_error(registry: mapping.MapRegistry) -> None:
    [ts] = transaction_sets(interchange(["BSN*00*X*20240301*1200"], set_id="856", functional_id="SH"))
    with pytest.raises(MappingError):
        mapping.apply_x12(registry.resolve("x12", "855", "004010"), ts, CTX)


def test_results_are_deterministic(registry: mapping.MapRegistry) -> None:
    body = ["BAK*00*AC*PO-1*20240301", "PO1*1*5*EA", "ACK*IA*5*EA*068*20240310"]
    assert run_855(registry, body) == run_855(registry, body)


# ------------------------------------------------------------------ registry loading


def write_maps(root: Path, files: dict[str, object]) -> Path:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return root


BASE = {
    "set_id": "855",
    "versions": ["004010"],
    "target": "commitment",
    "code_tables": {"line_action": {"IA": "accept"}},
    "fields": {"po_number": "BAK03", "occurred_at": {"from": "BAK04", "as": "datetime"}},
}


def test_loads_a_minimal_map_and_an_extending_one(tmp_path: Path) -> None:
    child = {"extends": "x12/855/004010.yaml", "versions": ["005010"]}
    reg = mapping.MapRegistry.load(
        write_maps(tmp_path, {"x12/855/004010.yaml": BASE, "x12/855/005010.yaml": child})
    )
    assert reg.map_keys() == ["x12/855/004010.yaml", "x12/855/005010.yaml"]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"x12/855/004010.yaml": {**BASE, "feilds": {}}}, "feilds"),
        ({"x12/855/004010.yaml": {**BASE, "code_tables": {"line_action": {"IA": "yes"}}}}, "line_action"),
        ({"x12/855/004010.yaml": {**BASE, "fields": {"po_number": {"from": "BAK3"}}}}, "pick"),
        (
            {"x12/855/004010.yaml": {**BASE, "fields": {"po_number": {"from": "BAK03", "code": "nope"}}}},
            "nope",
        ),
        ({"x12/855/004010.yaml": {k: v for k, v in BASE.items() if k != "fields"}}, "po_number"),
        ({"x12/855/004010.yaml": {"extends": "x12/855/004010.yaml"}}, "loops"),
        ({"x12/855/004010.yaml": BASE, "x12/855/004020.yaml": BASE}, "both claim"),
        ({"x12/855/004010.yaml": BASE, "x12/855/overrides/p.yaml": {"target": "shipment"}}, "override"),
        ({"x12/855/004010.yaml": BASE, "x12/855/overrides/p.yaml": {"fields": {"po_number": "X"}}}, "pick"),
        ({"x12/855/004010.yaml": "just text"}, "mapping"),
    ],
)
def test_refuses_invalid_maps_at_load_time(tmp_path: Path, files: dict[str, object], message: str) -> None:
    with pytest.raises(MappingError, match=message):
        mapping.MapRegistry.load(write_maps(tmp_path, files))


def test_an_override_can_remove_a_field_with_null(tmp_path: Path) -> None:
    base = {**BASE, "fields": {**BASE["fields"], "purpose": "BAK01"}}  # type: ignore[dict-item]
    reg = mapping.MapRegistry.load(
        write_maps(
            tmp_path, {"x12/855/004010.yaml": base, "x12/855/overrides/p.yaml": {"fields": {"purpose": None}}}
        )
    )
    assert (
        "purpose"
        not in reg.resolve("x12", "855", "004010", {"x12/855": "x12/855/overrides/p.yaml"}).spec.fields
    )
