"""EDIFACT events written as JSON lines (`apply_edifact_json`, what `gateway translate` writes) are
byte for byte the models' `model_dump_json()`, for every EDIFACT map case."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway import mapping
from gateway.formats.edifact import model as edifact
from gateway.formats.edifact import reader
from gateway.mapping.edifact_maps import apply_edifact, apply_edifact_json

MAPS = Path(__file__).resolve().parents[2] / "edi_maps"
CASES = sorted(MAPS.glob("edifact/**/*.cases/*.edi"))


@pytest.fixture(scope="module")
def registry() -> mapping.MapRegistry:
    return mapping.MapRegistry.load(MAPS)


@pytest.mark.parametrize("case", CASES, ids=[str(c.relative_to(MAPS)) for c in CASES])
def test_json_lines_are_the_models_dumps(case: Path, registry: mapping.MapRegistry) -> None:
    for item in reader.read(case.read_bytes(), file_name=case.name):
        if not isinstance(item, edifact.Message):
            continue
        compiled = registry.trees.edifact.resolve(item.id.type, item.id.directory)
        ctx = mapping.MapContext(
            partner_id="acme", document_id=f"{case.stem}:{item.reference}", file=case.name
        )
        models = apply_edifact(compiled, item, ctx)
        written = apply_edifact_json(compiled, item, ctx)
        assert written.lines == "".join(f"{e.model_dump_json()}\n" for e in models.events)
        assert written.count == len(models.events)
        assert written.issues == models.issues
