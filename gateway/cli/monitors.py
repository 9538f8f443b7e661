"""`gateway monitors run`: the SLA monitors once, inline (the arq cron job runs the same code)."""

from __future__ import annotations

import dataclasses
import json

from rich.console import Console

from gateway.errors import GatewayError
from gateway.pipeline import monitors
from gateway.pipeline.runtime import build_runtime
from gateway.settings import Settings
from gateway.store.session import session_scope


def run(settings: Settings, *, as_json: bool) -> int:
    try:
        rt = build_runtime(settings)
    except (GatewayError, OSError, ValueError) as exc:
        Console(stderr=True).print(f"[red]{type(exc).__name__}: {exc}[/red]")
        return 2
    try:
        with session_scope(rt.sessionmaker) as session:
            report = monitors.run(session, rt)
    finally:
        rt.close()
    if as_json:
        print(json.dumps(dataclasses.asdict(report), indent=2, default=str))
        return 0
    console = Console()
    console.print(
        f"monitors ran at {report.checked_at.isoformat()}: "
        f"{len(report.opened)} opened, {len(report.resolved)} resolved"
    )
    for line in report.opened:
        console.print(f"  opened {line}")
    for line in report.resolved:
        console.print(f"  resolved {line}")
    return 0
