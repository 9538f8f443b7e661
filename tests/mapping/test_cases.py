"""Every map case under edi_maps/ (Benthos style): `<name>.edi` beside `<name>.json`.

Cases live in `<map>.cases/` next to the map they exercise; a case under `overrides/<partner>.cases/`
runs with that partner override. `pytest --update-golden` rewrites the expected JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway import mapping
from tests.mapping.x12text import transaction_sets

MAPS = Path(__file__).resolve().parents[2] / "edi_maps"
# EDIFACT cases (also `.edi`) are run by `test_tree_cases.py`.
CASES = sorted(c for c in MAPS.glob("x12/**/*.cases/*.edi") if not c.parent.name.endswith(".out.cases"))


def render(case: Path, registry: mapping.MapRegistry) -> str:
    map_dir = case.parent
    fmt, doctype = map_dir.relative_to(MAPS).parts[:2]
    overrides = {}
    if map_dir.parent.name == "overrides":
        overrides[f"{fmt}/{doctype}"] = (
            f"{fmt}/{doctype}/overrides/{map_dir.name.removesuffix('.cases')}.yaml"
        )
    out: dict[str, list[object]] = {"events": [], "issues": []}
    for ts in transaction_sets(case.read_text(encoding="utf-8")):
        compiled = registry.resolve(fmt, ts.set_id, ts.version, overrides)
        if not overrides:  # the case must exercise the map it sits beside
            assert compiled.key == f"{fmt}/{doctype}/{map_dir.name.removesuffix('.cases')}.yaml"
        ctx = mapping.MapContext(
            partner_id="acme", document_id=f"{case.stem}:{ts.control_number}", file=case.name
        )
        result = mapping.apply_x12(compiled, ts, ctx)
        out["events"] += [e.model_dump(mode="json") for e in result.events]
        out["issues"] += [i.as_dict() for i in result.issues]
    return json.dumps(out, sort_keys=True, indent=2) + "\n"


@pytest.fixture(scope="module")
def registry() -> mapping.MapRegistry:
    return mapping.MapRegistry.load(MAPS)


def test_every_map_and_override_has_cases_beside_it(registry: mapping.MapRegistry) -> None:
    maps = [MAPS / key for key in registry.map_keys()] + sorted(MAPS.glob("*/*/overrides/*.yaml"))
    for path in maps:
        assert list(path.with_suffix(".cases").glob("*.edi")), f"{path.relative_to(MAPS)} has no cases"


@pytest.mark.parametrize("case", CASES, ids=[str(c.relative_to(MAPS)) for c in CASES])
def test_case_matches_expected_output(case: Path, registry: mapping.MapRegistry, update_golden: bool) -> None:
    actual = render(case, registry)
    expected_path = case.with_suffix(".json")
    if update_golden or not expected_path.exists():
        expected_path.write_text(actual, encoding="utf-8")
        if not update_golden:
            pytest.fail(f"{expected_path.name} was missing and has been written; review and commit it")
    assert actual == expected_path.read_text(encoding="utf-8")
