"""Every tree-map case under edi_maps/ (cXML and JSON), Benthos style, as `test_cases.py` does for X12.

- `cxml/<Request>/<family>.cases/<name>.xml` beside `<name>.json`: the document is read (hardened
  parser, envelope) and mapped with the map the case sits beside (the envelope's issues included);
  a case under `overrides/<partner>.cases/` runs with that override.
- `json/<kind>/<name>.cases/<case>.in.json` beside `<case>.json`: the payload is mapped with the map
  the folder names; the kind is the one the case name starts with (`<kind>.<rest>.in.json`, as the
  REST poller names its resource) or the first whose `when` holds. Each document of the payload
  gets its own document id.
- `edifact/<MESSAGE>/<directory>.cases/<name>.edi` beside `<name>.json`: every message of the
  interchange is read (envelope checks included) and mapped with the map the case sits beside.

`pytest --update-golden` rewrites the expected JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway import mapping
from gateway.formats import tree
from gateway.formats.cxml.model import read_envelope, version_family
from gateway.formats.cxml.parser import parse
from gateway.formats.edifact import model as edifact
from gateway.formats.edifact import reader as edifact_reader
from gateway.formats.issues import Location
from gateway.mapping.edifact_maps import apply_edifact

MAPS = Path(__file__).resolve().parents[2] / "edi_maps"
CXML_CASES = sorted(MAPS.glob("cxml/**/*.cases/*.xml"))
JSON_CASES = sorted(MAPS.glob("json/**/*.cases/*.in.json"))
EDIFACT_CASES = sorted(MAPS.glob("edifact/**/*.cases/*.edi"))


def render_cxml(case: Path, registry: mapping.MapRegistry) -> dict[str, list[object]]:
    map_dir = case.parent
    doctype = map_dir.relative_to(MAPS).parts[1]
    overrides = {}
    if map_dir.parent.name == "overrides":
        overrides[f"cxml/{doctype}"] = f"cxml/{doctype}/overrides/{map_dir.name.removesuffix('.cases')}.yaml"
    envelope, issues = read_envelope(parse(case.read_bytes(), file_name=case.name), file_name=case.name)
    compiled = registry.trees.cxml(doctype, version_family(envelope.version), overrides)
    if not overrides:
        assert compiled.key == f"cxml/{doctype}/{map_dir.name.removesuffix('.cases')}.yaml"
    ctx = mapping.MapContext(
        partner_id="acme", document_id=f"{case.stem}:{envelope.payload_id}", file=case.name
    )
    result = mapping.apply_cxml(compiled, envelope, ctx)
    return {
        "events": [e.model_dump(mode="json") for e in result.events],
        "issues": [i.as_dict() for i in (*issues, *result.issues)],
    }


def render_json(case: Path, registry: mapping.MapRegistry) -> dict[str, list[object]]:
    key = case.parent.relative_to(MAPS).as_posix().removesuffix(".cases") + ".yaml"
    json_map = registry.trees.json(key)
    root = tree.from_json(tree.parse_json(case.read_bytes(), file_name=case.name), file_name=case.name)
    named = case.name.split(".")[0]
    chosen = json_map.select(root, named if named in json_map.kinds else None)
    assert chosen is not None, f"{case.name}: no kind of {key} applies"
    kind, compiled = chosen
    out: dict[str, list[object]] = {"events": [], "issues": []}
    for ordinal, node in enumerate(compiled.program.documents(root)):
        ctx = mapping.MapContext(partner_id="acme", document_id=f"{case.stem}:{ordinal}", file=case.name)
        facts = mapping.DocumentFacts(prepared_at=None, sequence=0, source=f"json:{kind}:{case.stem}")
        result = mapping.apply_tree(
            compiled, node, ctx, facts, Location(file=case.name, interchange=case.stem)
        )
        out["events"] += [e.model_dump(mode="json") for e in result.events]
        out["issues"] += [i.as_dict() for i in result.issues]
    return out


def render_edifact(case: Path, registry: mapping.MapRegistry) -> dict[str, list[object]]:
    map_key = case.parent.relative_to(MAPS).as_posix().removesuffix(".cases") + ".yaml"
    out: dict[str, list[object]] = {"events": [], "issues": []}
    for item in edifact_reader.read(case.read_bytes(), file_name=case.name):
        if isinstance(item, edifact.Message):
            compiled = registry.trees.edifact.resolve(item.id.type, item.id.directory)
            assert compiled.key == map_key
            ctx = mapping.MapContext(
                partner_id="acme", document_id=f"{case.stem}:{item.reference}", file=case.name
            )
            result = apply_edifact(compiled, item, ctx)
            out["events"] += [e.model_dump(mode="json") for e in result.events]
            out["issues"] += [i.as_dict() for i in (*item.issues, *result.issues)]
        elif isinstance(item, edifact.GroupClosed | edifact.InterchangeClosed):
            out["issues"] += [i.as_dict() for i in item.issues]
    return out


@pytest.fixture(scope="module")
def registry() -> mapping.MapRegistry:
    return mapping.MapRegistry.load(MAPS)


def test_every_tree_map_and_override_has_cases_beside_it(registry: mapping.MapRegistry) -> None:
    maps = [MAPS / key for key in registry.trees.map_keys()] + sorted(MAPS.glob("cxml/*/overrides/*.yaml"))
    assert maps
    for path in maps:
        cases = path.with_suffix(".cases")
        inputs = [*cases.glob("*.xml"), *cases.glob("*.in.json"), *cases.glob("*.edi")]
        assert inputs, f"{path.relative_to(MAPS)} has no cases"


def check(case: Path, actual: dict[str, list[object]], update_golden: bool) -> None:
    text = json.dumps(actual, sort_keys=True, indent=2) + "\n"
    stem = case.name.removesuffix(".in.json").removesuffix(".xml").removesuffix(".edi")
    expected_path = case.parent / (stem + ".json")
    if update_golden or not expected_path.exists():
        expected_path.write_text(text, encoding="utf-8")
        if not update_golden:
            pytest.fail(f"{expected_path.name} was missing and has been written; review and commit it")
    assert text == expected_path.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", CXML_CASES, ids=[str(c.relative_to(MAPS)) for c in CXML_CASES])
def test_cxml_case_matches_expected_output(
    case: Path, registry: mapping.MapRegistry, update_golden: bool
) -> None:
    check(case, render_cxml(case, registry), update_golden)


@pytest.mark.parametrize("case", JSON_CASES, ids=[str(c.relative_to(MAPS)) for c in JSON_CASES])
def test_json_case_matches_expected_output(
    case: Path, registry: mapping.MapRegistry, update_golden: bool
) -> None:
    check(case, render_json(case, registry), update_golden)


@pytest.mark.parametrize("case", EDIFACT_CASES, ids=[str(c.relative_to(MAPS)) for c in EDIFACT_CASES])
def test_edifact_case_matches_expected_output(
    case: Path, registry: mapping.MapRegistry, update_golden: bool
) -> None:
    check(case, render_edifact(case, registry), update_golden)
