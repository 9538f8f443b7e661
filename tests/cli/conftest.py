"""The `cli` fixture: typer's CliRunner in a tmp working directory, with `GATEWAY_*` pointing at the
repository's partners and maps and at a tmp data dir, so nothing is written into the repository."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.pipeline.support import MAPS_DIR, PARTNERS_DIR


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(f"GATEWAY_{name}", raising=False)
    monkeypatch.setenv("GATEWAY_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("GATEWAY_PARTNERS_DIR", str(PARTNERS_DIR))
    monkeypatch.setenv("GATEWAY_MAPS_DIR", str(MAPS_DIR))
    monkeypatch.setenv("COLUMNS", "200")  # wide tables: no cell is folded
    return CliRunner()
