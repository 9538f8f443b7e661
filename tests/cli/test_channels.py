"""`gateway channels run --once` (and its --json) on the embedded default."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.cli.runner import invoke
from tests.pipeline.support import SAMPLES

ACME_855 = SAMPLES / "x12" / "acme-fasteners" / "855_000000418.edi"


def _drop(folder: Path, name: str, data: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    then = time.time() - 60
    os.utime(folder / name, (then, then))


def test_run_once_picks_up_archives_and_reports_as_json(cli: CliRunner, tmp_path: Path) -> None:
    box = tmp_path / "var" / "filedrop" / "acme-fasteners"
    _drop(box / "inbox", "855_000000418.edi", ACME_855.read_bytes())
    _drop(box / "inbox", "broken.edi", b"ISA*00*bad")

    result = invoke(cli, "channels", "run", "--once", "--json")

    assert result.exit_code == 1, result.stderr  # one file went to error/
    report = json.loads(result.stdout)
    outcomes = {p["file_name"]: p["outcome"] for p in report["filedrop"]}
    assert outcomes == {"855_000000418.edi": "archived", "broken.edi": "error"}
    assert list((box / "inbox").iterdir()) == []
    assert len(list((box / "error").glob("*.reason.txt"))) == 1

    again = invoke(cli, "channels", "run", "--once")
    assert again.exit_code == 0, again.stderr
    assert "0 file(s) picked up" in again.stdout


def test_run_once_prints_a_table(cli: CliRunner, tmp_path: Path) -> None:
    _drop(
        tmp_path / "var" / "filedrop" / "acme-fasteners" / "inbox", "855_000000418.edi", ACME_855.read_bytes()
    )

    result = invoke(cli, "channels", "run", "--once", "--partner", "acme-fasteners")

    assert result.exit_code == 0, result.stderr
    assert "1 archived" in result.stdout
    assert "855_000000418.edi" in result.stdout


def test_run_once_leaves_the_inbox_alone_when_the_database_is_down(
    cli: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "GATEWAY_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:9/gateway?connect_timeout=2"
    )
    inbox = tmp_path / "var" / "filedrop" / "acme-fasteners" / "inbox"
    _drop(inbox, "855_000000418.edi", ACME_855.read_bytes())

    result = invoke(cli, "channels", "run", "--once")

    assert result.exit_code == 2
    assert "OperationalError" in result.stderr
    assert [p.name for p in inbox.iterdir()] == ["855_000000418.edi"]
