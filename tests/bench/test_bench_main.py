"""`python -m bench` runs end to end on tiny files, and its `--workdir` may name a directory to be."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import edifact_bench, x12_bench


@pytest.mark.slow
def test_the_x12_bench_reports_every_measure_in_a_workdir_it_creates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workdir = tmp_path / "not" / "there"
    assert x12_bench.main(["--size-mb", "0.05", "--repeat", "1", "--json", "--workdir", str(workdir)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert workdir.is_dir()
    assert not any(workdir.iterdir())  # the generated files are removed
    by_kind = {entry["kind"]: entry for entry in report["results"]}
    assert set(by_kind) == {"856", "855"}
    for entry in by_kind.values():
        assert entry["generated_sets"] >= 10_000  # the floor, whatever the size asked for
        assert entry["codec"]["sets"] == entry["generated_sets"]
        assert entry["translate"]["mb_per_s"] > 0


@pytest.mark.slow
def test_the_edifact_bench_runs_in_a_workdir_it_creates(tmp_path: Path) -> None:
    workdir = tmp_path / "new"
    assert edifact_bench.main(["--size-mb", "0.05", "--repeat", "1", "--workdir", str(workdir)]) == 0
    assert workdir.is_dir()
