"""The committed contract in `openapi/` is what the code generates (`gateway openapi --write`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.app import create_app
from gateway.canonical import events
from gateway.cli import spec


def test_committed_openapi_json_is_the_apps_spec(repo_root: Path) -> None:
    committed = json.loads((repo_root / "openapi" / "openapi.json").read_text(encoding="utf-8"))
    assert committed == create_app().openapi(), "openapi/ drifted: run `gateway openapi --write`"


def test_committed_events_schema_is_the_canonical_one(repo_root: Path) -> None:
    committed = (repo_root / "openapi" / "events.schema.json").read_text(encoding="utf-8")
    assert committed == events.dumps_schema(), "openapi/ drifted: run `gateway openapi --write`"


def test_check_passes_on_the_committed_files(repo_root: Path) -> None:
    assert spec.run(write=False, directory=repo_root / "openapi") == 0


def test_write_then_check_and_a_drift_names_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert spec.run(write=False, directory=tmp_path) == 1
    assert spec.run(write=True, directory=tmp_path) == 0
    written = (tmp_path / "openapi.json").read_text(encoding="utf-8")
    assert written == json.dumps(create_app().openapi(), indent=2, sort_keys=True) + "\n"
    assert spec.run(write=False, directory=tmp_path) == 0
    capsys.readouterr()

    (tmp_path / "events.schema.json").write_text("{}\n", encoding="utf-8")

    assert spec.run(write=False, directory=tmp_path) == 1
    err = capsys.readouterr().err
    assert "events.schema.json differs" in err
    assert "openapi.json differs" not in err


def test_every_operation_lists_its_problem_responses() -> None:
    for path, item in create_app().openapi()["paths"].items():
        for method, operation in item.items():
            if path == "/healthz":
                continue
            problems = [code for code in operation["responses"] if code.startswith(("4", "5"))]
            assert problems, f"{method.upper()} {path} lists no problem response"
            for code in problems:
                content = operation["responses"][code]["content"]
                if path == "/cxml" and code == "500":  # cXML answers its own errors as cXML (text/xml)
                    assert "text/xml" in content
                    continue
                assert "application/problem+json" in content, (method, path, code)
