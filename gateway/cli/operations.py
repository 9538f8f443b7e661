"""`gateway sweep` and `gateway dead-letters`: recovery by hand, readable or --json."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table

from gateway.cli.ingest import open_runtime
from gateway.pipeline import recovery
from gateway.settings import Settings
from gateway.store.repositories.operations import DeadLetterRepository
from gateway.store.session import session_scope


def sweep(settings: Settings, *, as_json: bool) -> int:
    rt = open_runtime(settings)
    try:
        report = recovery.sweep(rt)
    finally:
        rt.close()
    if as_json:
        print(
            json.dumps(
                {"receipts": report.receipts, "messages": report.messages, "not_queued": report.not_queued}
            )
        )
    else:
        Console().print(
            f"queued again: {len(report.receipts)} receipts, {len(report.messages)} outbound messages"
            + (f" ([red]{report.not_queued} could not be queued[/red])" if report.not_queued else "")
        )
    return 1 if report.not_queued else 0


def dead_letters(settings: Settings, *, include_resolved: bool, as_json: bool) -> int:
    rt = open_runtime(settings)
    try:
        with session_scope(rt.sessionmaker) as session:
            rows = DeadLetterRepository(session).list(open_only=not include_resolved, limit=500)
            items = [
                {
                    "id": r.id,
                    "kind": str(r.kind),
                    "item_id": r.item_id,
                    "job": r.job,
                    "partner_id": r.partner_id,
                    "attempts": r.attempts,
                    "reason": r.reason,
                    "dead_at": r.dead_at.isoformat(),
                    "resolved_at": r.resolved_at.isoformat() if r.resolved_at else None,
                    "resolution": r.resolution,
                }
                for r in rows
            ]
    finally:
        rt.close()
    if as_json:
        print(json.dumps(items, indent=2))
        return 0
    table = Table(title=f"Dead letters ({len(items)})", title_justify="left")
    for column in ("kind", "item", "partner", "attempts", "dead at", "reason", "resolved"):
        table.add_column(column, overflow="fold")
    for item in items:
        table.add_row(
            str(item["kind"]),
            str(item["item_id"]),
            str(item["partner_id"] or "-"),
            str(item["attempts"]),
            str(item["dead_at"]),
            f"[red]{item['reason']}[/red]",
            str(item["resolution"] or "-"),
        )
    Console().print(table)
    return 0
