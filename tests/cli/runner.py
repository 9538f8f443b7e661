"""Running the `gateway` command in tests."""

from __future__ import annotations

from typer.testing import CliRunner, Result

from gateway.cli import app


def invoke(cli: CliRunner, *args: str) -> Result:
    return cli.invoke(app, list(args), catch_exceptions=False)
