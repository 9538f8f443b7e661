"""The optional compiled build (`make native`) against the sources it was compiled from.

The whole suite runs on whatever is importable: the compiled modules when a current build exists,
the sources otherwise. This test runs `gateway translate` over every X12, EDIFACT and cXML input
the repository and the shared corpus hold, plus generated interchanges of 855s and 856s and one of
DESADV and ORDRSP messages, once on the compiled build and
once on the sources (`GATEWAY_PURE=1`), each in its own interpreter, and requires byte-identical
JSON lines, stderr and exit status. Without a build it checks only the source mode (and fails under
CI=true on a machine with a C compiler, where `.ci/run` builds it).
"""

from __future__ import annotations

import importlib.machinery
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench import edifact_bench
from bench.x12_bench import generate
from gateway import native
from tests.pipeline.support import MAPS_DIR, PARTNERS_DIR

REPO = Path(__file__).resolve().parents[2]

_SCRIPT = r"""
import io, json, sys
from pathlib import Path
from gateway import native
from gateway.cli.translate import translate_files
from gateway.mapping import MapRegistry
from gateway.partners.registry import load_partners

maps, partners = MapRegistry.load(Path(sys.argv[1])), load_partners(Path(sys.argv[2]))
runs = []
for name in sys.argv[3:]:
    out, err = io.StringIO(), io.StringIO()
    status = translate_files([Path(name)], maps=maps, partners=partners, partner_id=None, out=out, err=err)
    runs.append([name, status, out.getvalue(), err.getvalue()])
json.dump({"mode": native.in_use(), "runs": runs}, sys.stdout)
"""


def _inputs(shared_dir: Path, tmp_path: Path) -> list[str]:
    corpus = shared_dir / "corpus"
    files = sorted((corpus / "x12").glob("*.edi")) + sorted((corpus / "edifact").glob("*.edi"))
    files += sorted((corpus / "cxml").glob("*.xml"))
    files += sorted((REPO / "samples").rglob("*.edi")) + sorted((REPO / "samples").rglob("*.xml"))
    files += sorted((REPO / "edi_maps").rglob("*.cases/*.edi")) + sorted(
        (REPO / "edi_maps").rglob("*.cases/*.xml")
    )
    for kind in ("855", "856"):
        path = tmp_path / f"generated_{kind}.edi"
        generate(path, size_mb=0.05, kind=kind, min_sets=120)
        files.append(path)
    edifact = tmp_path / "generated_edifact.edi"
    edifact_bench.generate(edifact, size_mb=0.1)
    files.append(edifact)
    return [str(f) for f in files]


def _translate(files: list[str], *, pure: bool) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != native.PURE_ENV}
    if pure:
        env[native.PURE_ENV] = "1"
    proc = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(MAPS_DIR), str(PARTNERS_DIR), *files],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        check=True,
    )
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def test_the_compiled_build_translates_exactly_like_the_sources(shared_dir: Path, tmp_path: Path) -> None:
    files = _inputs(shared_dir, tmp_path)
    source = _translate(files, pure=True)
    assert source["mode"] == "source"
    if native.state()[0] != "compiled":
        if os.environ.get("CI") == "true" and shutil.which("cc"):
            pytest.fail(f"CI runs on the compiled build, but: {native.state()[1]}")
        pytest.skip(f"no compiled build to compare: {native.state()[1]}")
    compiled = _translate(files, pure=False)
    assert compiled["mode"] == "compiled"
    runs = compiled["runs"]
    assert isinstance(runs, list)
    assert len(runs) == len(files) > 50
    assert any(run[2] for run in runs)  # events were written
    assert any(run[1] == 2 for run in runs)  # and some inputs are unreadable
    for got, want in zip(runs, source["runs"], strict=True):  # type: ignore[call-overload]
        assert got == want, got[0]


def test_gateway_pure_forces_the_sources() -> None:
    env = dict(os.environ, **{native.PURE_ENV: "1"})
    script = "from gateway import native; print(native.in_use(), native.state()[0])"
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=REPO, check=True
    )
    assert proc.stdout.split() == ["source", "source"]


def test_an_extension_module_left_by_an_earlier_build_is_never_imported() -> None:
    """A module the recorded build compiled but `MODULES` no longer lists makes the build stale, and
    the guard's finder loads it from source although its extension module is still beside it."""
    name = "gateway._probe_unlisted"
    source = native.source_of(name)
    ext = source.with_name(source.stem + importlib.machinery.EXTENSION_SUFFIXES[0])
    stamp = dict.fromkeys(native.MODULES, "recorded") | {name: "recorded"}
    try:
        source.write_text("VALUE = 'source'\n", encoding="utf-8")
        assert native.unlisted(stamp) == []  # no extension module: nothing is left over
        ext.write_bytes(b"not a real extension module")
        assert native.unlisted(stamp) == [name]
        mode, why = native.state(stamp)
        assert mode == "source"
        assert name in why
        spec = native._SourceFirst([*native.MODULES, *native.unlisted(stamp)]).find_spec(name, None)
        assert spec is not None
        assert spec.origin == str(source)
    finally:
        source.unlink(missing_ok=True)
        ext.unlink(missing_ok=True)
