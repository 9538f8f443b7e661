"""`gateway channels poll [--partner ID] [--json]`: poll partner REST APIs once, now (the arq cron
sweep runs the same code on each partner's `interval_minutes`)."""

from __future__ import annotations

import dataclasses
import json

from rich.console import Console
from rich.table import Table

from gateway.cli.ingest import open_runtime
from gateway.errors import GatewayError
from gateway.pipeline import rest_poll
from gateway.settings import Settings


def run(settings: Settings, *, partner_id: str | None, as_json: bool) -> int:
    """Exit 0 when every poll went through, 1 when one failed, 2 when nothing could start."""
    err = Console(stderr=True)
    try:
        rt = open_runtime(settings)
    except (GatewayError, OSError, ValueError) as exc:
        err.print(f"[red]{type(exc).__name__}: {exc}[/red]")
        return 2
    try:
        try:
            ids = [rt.partners.get(partner_id).id] if partner_id else [p.id for p in rest_poll.pollable(rt)]
            reports = [rest_poll.poll(rt, pid) for pid in ids]
        except GatewayError as exc:
            err.print(f"[red]{type(exc).__name__}: {exc.detail}[/red]")
            return 2
    finally:
        rt.close()
    if as_json:
        print(json.dumps([{**dataclasses.asdict(r), "ok": r.ok} for r in reports], indent=2))
        return 0 if all(r.ok for r in reports) else 1
    if not reports:
        Console().print("no partner has a REST channel (channels.rest_poll)")
        return 0
    table = Table(title="Partner APIs polled", title_justify="left")
    for col in ("partner", "resource", "pages", "duplicates", "documents", "events", "cursor", "result"):
        table.add_column(col, overflow="fold")
    for report in reports:
        if report.error is not None and not report.resources:
            table.add_row(report.partner_id, "-", "0", "0", "0", "0", "-", f"[red]{report.error}[/red]")
        for r in report.resources:
            result = f"[red]{r.error}[/red]" if r.error else "[green]ok[/green]"
            table.add_row(
                report.partner_id,
                r.resource,
                str(len(r.receipts)),
                str(r.duplicates),
                str(r.documents),
                str(r.events),
                r.cursor_after or "-",
                result,
            )
    Console().print(table)
    return 0 if all(r.ok for r in reports) else 1
