"""EDIFACT events written as JSON lines (`apply_edifact_json`, what `gateway translate` writes) are
byte for byte the models' `model_dump_json()`, for every EDIFACT map case, sample and corpus file
and the bench's generated interchange; and the tree shipments' JSON writer writes what
pydantic-core writes for their drafts, cXML ship notices included (whole orders shipped, deletes)."""

from __future__ import annotations

from pathlib import Path

import pydantic_core
import pytest

from bench import edifact_bench
from gateway import mapping
from gateway.errors import FormatError, NoMapError
from gateway.formats.cxml.model import read_envelope, version_family
from gateway.formats.cxml.parser import parse
from gateway.formats.edifact import model as edifact
from gateway.formats.edifact import reader
from gateway.formats.issues import Location
from gateway.mapping.edifact_maps import apply_edifact, apply_edifact_json
from gateway.mapping.targets import Build, DocumentFacts, shipment_orders
from gateway.mapping.tree_engine import TreeRun

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


SHIP_NOTICES = sorted(MAPS.glob("cxml/ShipNoticeRequest/**/*.cases/*.xml"))


@pytest.mark.parametrize("case", SHIP_NOTICES, ids=[c.name for c in SHIP_NOTICES])
def test_tree_shipments_are_written_as_their_drafts_serialize(
    case: Path, registry: mapping.MapRegistry
) -> None:
    # cXML ship notices: whole orders shipped (`complete_orders`), deletes, several orders; the
    # writer that EDIFACT DESADVs use against pydantic-core's serialization of the same drafts.
    envelope, _ = read_envelope(parse(case.read_bytes(), file_name=case.name), file_name=case.name)
    compiled = registry.trees.cxml("ShipNoticeRequest", version_family(envelope.version), {})
    body = envelope.body
    assert body is not None
    facts = DocumentFacts(prepared_at=envelope.timestamp, sequence=0, source=f"cxml:{envelope.payload_id}")
    ctx = mapping.MapContext(partner_id="acme", document_id=case.stem, file=case.name)

    def build() -> Build:
        run = TreeRun(Location(file=case.name))
        return Build(facts, ctx, run, run.run(compiled.program, body))

    drafts = shipment_orders.draft(build())
    assert shipment_orders.write(build()) == [pydantic_core.to_json(d).decode() for d in drafts]
