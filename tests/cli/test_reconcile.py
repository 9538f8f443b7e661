"""`gateway reconcile FILE [--json]`: variances as a table or JSON, exit 1 when there are any."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from tests.cli.runner import invoke
from tests.pipeline.support import SAMPLES


def erp_lines() -> list[dict[str, Any]]:
    """The sample ERP orders as the ERP would report their lines: nothing received yet."""
    orders = json.loads((SAMPLES / "erp" / "orders.json").read_text(encoding="utf-8"))
    return [
        {
            "partner_id": po["partner_id"],
            "po_number": po["po_number"],
            "line_number": ln["line_number"],
            "ordered": ln["quantity"],
            "received": "0",
            "open": ln["quantity"],
            "unit": ln["unit"],
        }
        for po in orders["purchase_orders"]
        for ln in po["lines"]
    ]


def write(tmp_path: Path, lines: list[dict[str, Any]]) -> str:
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps({"lines": lines}), encoding="utf-8")
    return str(path)


def test_reconcile_of_a_matching_snapshot_exits_0(cli: CliRunner, tmp_path: Path) -> None:
    assert invoke(cli, "erp", "import", "--no-send", str(SAMPLES / "erp" / "orders.json")).exit_code == 0

    result = invoke(cli, "reconcile", write(tmp_path, erp_lines()))

    assert result.exit_code == 0, result.stderr
    assert "0 variance(s)" in result.stdout


def test_reconcile_shows_each_variance_in_a_table_and_exits_1(cli: CliRunner, tmp_path: Path) -> None:
    assert invoke(cli, "erp", "import", "--no-send", str(SAMPLES / "erp" / "orders.json")).exit_code == 0
    lines = erp_lines()
    lines[0]["received"], lines[0]["open"] = "1000", "4000"
    gone = lines.pop()

    result = invoke(cli, "reconcile", write(tmp_path, lines))

    assert result.exit_code == 1, result.stderr
    assert "3 variance(s)" in result.stdout
    assert "missing_in_erp" in result.stdout
    assert gone["po_number"] in result.stdout
    assert "1000 EA" in result.stdout


def test_reconcile_json_lists_the_variances(cli: CliRunner, tmp_path: Path) -> None:
    assert invoke(cli, "erp", "import", "--no-send", str(SAMPLES / "erp" / "orders.json")).exit_code == 0
    lines = erp_lines()
    lines.append({**lines[0], "po_number": "4599999999"})

    result = invoke(cli, "reconcile", "--json", write(tmp_path, lines))

    assert result.exit_code == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["counts"] == {"missing_in_gateway": 1}
    assert report["variances"][0]["po_number"] == "4599999999"
    assert report["erp_lines"] == report["gateway_lines"] + 1


def test_reconcile_of_an_unreadable_snapshot_exits_2(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "snapshot.json"
    path.write_text("{oops", encoding="utf-8")

    result = invoke(cli, "reconcile", str(path))

    assert result.exit_code == 2
    assert "SnapshotError" in result.stderr
