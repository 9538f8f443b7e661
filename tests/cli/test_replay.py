"""`gateway replay`, `gateway sweep` and `gateway dead-letters` on the embedded default."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from tests.cli.runner import invoke
from tests.pipeline.support import SAMPLES


def ingest_sample(cli: CliRunner) -> str:
    path = SAMPLES / "x12" / "acme-fasteners" / "855_000000418.edi"
    result = invoke(cli, "ingest", str(path), "--json")
    assert result.exit_code == 0, result.output
    receipts: list[dict[str, str]] = json.loads(result.output)
    return receipts[0]["receipt_id"]


def test_replay_shows_a_processed_receipt_unchanged_and_applies_nothing(cli: CliRunner) -> None:
    receipt_id = ingest_sample(cli)
    result = invoke(cli, "replay", "--receipt", receipt_id)
    assert result.exit_code == 0, result.output
    assert f"receipt {receipt_id}" in result.output
    assert "unchanged" in result.output
    assert "nothing applied; add --apply" in result.output

    applied = invoke(cli, "replay", "--receipt", receipt_id, "--apply", "--json")
    assert applied.exit_code == 0, applied.output
    report = json.loads(applied.output)
    assert report["applied"] is True
    assert [p["action"] for p in report["plans"]] == ["unchanged"]
    assert report["actor"].startswith("cli")


def test_replay_needs_something_to_replay_and_names_an_unknown_receipt(cli: CliRunner) -> None:
    assert invoke(cli, "replay").exit_code == 2
    unknown = invoke(cli, "replay", "--receipt", "no-such-receipt")
    assert unknown.exit_code == 2
    assert "receipt no-such-receipt does not exist" in unknown.output


def test_sweep_and_dead_letters_on_a_quiet_gateway(cli: CliRunner) -> None:
    ingest_sample(cli)
    sweep = invoke(cli, "sweep", "--json")
    assert sweep.exit_code == 0, sweep.output
    assert json.loads(sweep.output) == {"receipts": [], "messages": [], "not_queued": 0}
    letters = invoke(cli, "dead-letters", "--json")
    assert letters.exit_code == 0
    assert json.loads(letters.output) == []
    assert "Dead letters (0)" in invoke(cli, "dead-letters").output
