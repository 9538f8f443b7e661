"""`gateway monitors run`: the SLA monitors once, inline, on the embedded default (wall clock)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from tests.cli.runner import invoke
from tests.pipeline.support import SAMPLES


def test_monitors_run_opens_shipment_overdue_for_lines_committed_long_ago_and_not_shipped(
    cli: CliRunner,
) -> None:
    assert invoke(cli, "erp", "import", str(SAMPLES / "erp" / "orders.json")).exit_code == 0
    # acme commits every line for 2025-03-17: long past on the wall clock, and nothing shipped.
    assert invoke(cli, "ingest", str(SAMPLES / "x12" / "acme-fasteners" / "855_000000418.edi")).exit_code == 0

    result = invoke(cli, "monitors", "run", "--json")

    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert {
        "shipment_overdue po:4500001001:line:1",
        "shipment_overdue po:4500001001:line:2",
        "shipment_overdue po:4500001001:line:3",
    } <= set(report["opened"])

    again = invoke(cli, "monitors", "run")
    assert again.exit_code == 0, again.stderr
    assert "0 opened" in again.stdout
