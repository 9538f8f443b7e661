"""EDIFACT events written as JSON lines (`apply_edifact_json`, what `gateway translate` writes) are
byte for byte the models' `model_dump_json()`, for every EDIFACT map case, sample and corpus file
and the bench's generated interchange."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import edifact_bench
from gateway import mapping
from gateway.errors import FormatError, NoMapError
from gateway.formats.edifact import model as edifact
from gateway.formats.edifact import reader
from gateway.mapping.edifact_maps import apply_edifact, apply_edifact_json

REPO = Path(__file__).resolve().parents[2]
MAPS = REPO / "edi_maps"
CASES = sorted(MAPS.glob("edifact/**/*.cases/*.edi"))


@pytest.fixture(scope="module")
def registry() -> mapping.MapRegistry:
    return mapping.MapRegistry.load(MAPS)


@pytest.mark.parametrize("case", CASES, ids=[str(c.relative_to(MAPS)) for c in CASES])
def test_json_lines_are_the_models_dumps(case: Path, registry: mapping.MapRegistry) -> None:
    assert _compare(case, registry) > 0


def test_samples_corpus_and_bench_files_write_the_models_json(
    shared_dir: Path, tmp_path: Path, registry: mapping.MapRegistry
) -> None:
    bench = tmp_path / "bench.edi"
    edifact_bench.generate(bench, size_mb=0.2)
    files = [
        *sorted((REPO / "samples").rglob("*.edi")),
        *sorted((shared_dir / "corpus" / "edifact").glob("*.edi")),
    ]
    edifact_files = [f for f in files if f.read_bytes().lstrip()[:3] in (b"UNA", b"UNB", b"UNH")]
    counts = {f.name: _compare(f, registry) for f in [*edifact_files, bench]}
    assert counts["bench.edi"] > 100
    assert sum(counts.values()) > counts["bench.edi"]  # samples and corpus files gave events too


def _compare(case: Path, registry: mapping.MapRegistry) -> int:
    """Compare both ways of writing every mapped message of the file; how many events there were."""
    events = 0
    try:
        items = list(reader.read(case.read_bytes(), file_name=case.name))
    except FormatError:
        return 0
    for item in items:
        if not isinstance(item, edifact.Message):
            continue
        try:
            compiled = registry.trees.edifact.resolve(item.id.type, item.id.directory)
        except NoMapError:
            continue
        ctx = mapping.MapContext(
            partner_id="acme", document_id=f"{case.stem}:{item.reference}", file=case.name
        )
        models = apply_edifact(compiled, item, ctx)
        written = apply_edifact_json(compiled, item, ctx)
        assert written.lines == "".join(f"{e.model_dump_json()}\n" for e in models.events)
        assert written.events == len(models.events)
        assert written.issues == models.issues
        events += written.events
    return events
