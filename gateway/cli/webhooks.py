"""`gateway webhooks deliver [--once]` and `gateway webhooks list`: the sweep the cron job runs, by hand."""

from __future__ import annotations

import dataclasses
import json
import time

from rich.console import Console
from rich.table import Table

from gateway.errors import GatewayError
from gateway.pipeline import webhooks
from gateway.pipeline.runtime import Runtime, build_runtime
from gateway.settings import Settings
from gateway.store import models as db
from gateway.store.repositories.webhooks import WebhookRepository
from gateway.store.session import session_scope


def _start(settings: Settings) -> tuple[Runtime, webhooks.Webhooks] | None:
    try:
        rt = build_runtime(settings)
    except (GatewayError, OSError, ValueError) as exc:
        Console(stderr=True).print(f"[red]{type(exc).__name__}: {exc}[/red]", highlight=False)
        return None
    try:
        return rt, webhooks.Webhooks.from_settings(settings, rt.clock)
    except GatewayError as exc:
        rt.close()
        Console(stderr=True).print(f"[red]{type(exc).__name__}: {exc}[/red]", highlight=False)
        return None


def deliver(settings: Settings, *, once: bool, interval_s: float, as_json: bool) -> int:
    started = _start(settings)
    if started is None:
        return 2
    rt, hooks = started
    try:
        while True:
            report = webhooks.sweep(rt, hooks)  # here, not queued: the command is the worker
            _show(report, as_json=as_json)
            if once:
                return 0
            time.sleep(interval_s)
    except KeyboardInterrupt:
        return 0
    finally:
        hooks.close()
        rt.close()


def _show(report: webhooks.SweepReport, *, as_json: bool) -> None:
    if as_json:
        out = {
            "at": report.at.isoformat(),
            "fanned_out": report.fanned_out,
            "outcomes": [{**dataclasses.asdict(o), "status": str(o.status)} for o in report.outcomes],
        }
        print(json.dumps(out, indent=2))
        return
    console = Console()
    console.print(
        f"{report.at.isoformat()}: {report.fanned_out} new deliveries, {len(report.outcomes)} attempted: "
        f"{report.count(db.DeliveryStatus.DELIVERED)} delivered, "
        f"{report.count(db.DeliveryStatus.PENDING)} to retry, {report.count(db.DeliveryStatus.DEAD)} dead",
        highlight=False,
    )
    for o in report.outcomes:
        if o.status is not db.DeliveryStatus.DELIVERED:
            console.print(f"  {o.subscriber_id} evt_{o.cursor} try {o.attempt}: {o.status} {o.error}")


def list_deliveries(settings: Settings, *, status: str | None, limit: int, as_json: bool) -> int:
    try:
        wanted = db.DeliveryStatus(status) if status is not None else None
        rt = build_runtime(settings)
    except (GatewayError, OSError, ValueError) as exc:
        Console(stderr=True).print(f"[red]{type(exc).__name__}: {exc}[/red]", highlight=False)
        return 2
    try:
        with session_scope(rt.sessionmaker) as session:
            repo = WebhookRepository(session)
            rows = [(d, repo.attempts(d.id)) for d in repo.list(status=wanted, limit=limit)]
    finally:
        rt.close()
    if as_json:
        out = [
            {
                "id": d.id,
                "subscriber_id": d.subscriber_id,
                "cursor": d.event_cursor,
                "status": str(d.status),
                "attempts": [
                    {
                        "attempt": a.attempt,
                        "at": a.attempted_at.isoformat(),
                        "status_code": a.status_code,
                        "duration_ms": a.duration_ms,
                        "error": a.error,
                    }
                    for a in attempts
                ],
                "next_attempt_at": d.next_attempt_at.isoformat() if d.next_attempt_at else None,
            }
            for d, attempts in rows
        ]
        print(json.dumps(out, indent=2))
        return 0
    table = Table("id", "subscriber", "event", "status", "tries", "last code", "next attempt", "last error")
    for d, _ in rows:
        table.add_row(
            str(d.id),
            d.subscriber_id,
            f"evt_{d.event_cursor}",
            str(d.status),
            str(d.attempts),
            str(d.last_status_code or "-"),
            d.next_attempt_at.isoformat() if d.next_attempt_at else "-",
            d.last_error or "",
        )
    Console().print(table)
    return 0
