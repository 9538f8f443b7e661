"""`gateway webhooks deliver --once` and `gateway webhooks list`, against a real loopback server."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.cli.runner import invoke
from tests.pipeline.support import SAMPLES
from tests.pipeline.test_webhooks import (  # noqa: F401  (the fixture)
    SECRET,
    SECRET_ENV,
    Receiver,
    receiver,
    verify,
    write_subscribers,
)


@pytest.fixture
def subscribed(
    cli: CliRunner,
    receiver: Receiver,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> CliRunner:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    path = write_subscribers(tmp_path / "subscribers.yaml", receiver.url, events='["purchase_order.*"]')
    monkeypatch.setenv("GATEWAY_SUBSCRIBERS_FILE", str(path))
    monkeypatch.setenv("GATEWAY_WEBHOOKS__MAX_ATTEMPTS", "2")
    return cli


def test_deliver_once_sends_every_wanted_event_signed(subscribed: CliRunner, receiver: Receiver) -> None:  # noqa: F811
    assert (
        invoke(subscribed, "erp", "import", "--no-send", str(SAMPLES / "erp" / "orders.json")).exit_code == 0
    )

    result = invoke(subscribed, "webhooks", "deliver", "--once", "--json")

    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["fanned_out"] == len(receiver.received) > 0
    assert {o["status"] for o in report["outcomes"]} == {"delivered"}
    for request in receiver.received:
        verify(SECRET, request.headers, request.body, dt.datetime.now(dt.UTC))  # the wall clock
        assert json.loads(request.body)["type"].startswith("purchase_order.")

    again = invoke(subscribed, "webhooks", "deliver", "--once")
    assert again.exit_code == 0, again.stderr
    assert "0 new deliveries, 0 attempted" in again.stdout


def test_list_shows_failed_attempts(subscribed: CliRunner, receiver: Receiver) -> None:  # noqa: F811
    assert (
        invoke(subscribed, "erp", "import", "--no-send", str(SAMPLES / "erp" / "orders.json")).exit_code == 0
    )
    receiver.script[:] = [500] * 50

    result = invoke(subscribed, "webhooks", "deliver", "--once")
    assert result.exit_code == 0, result.stderr
    assert "to retry" in result.stdout
    assert "HTTP 500" in result.stdout

    listed = invoke(subscribed, "webhooks", "list", "--json", "--status", "pending")
    assert listed.exit_code == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert rows
    assert all(r["attempts"][0]["status_code"] == 500 for r in rows)
    assert invoke(subscribed, "webhooks", "list").exit_code == 0


def test_deliver_with_a_missing_secret_exits_2(
    subscribed: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SECRET_ENV)

    result = invoke(subscribed, "webhooks", "deliver", "--once")

    assert result.exit_code == 2
    assert "is not set" in result.stderr
