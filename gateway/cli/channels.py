"""`gateway channels run [--once]` and `gateway channels watch`: the file-drop pick-up (and the AS2
retries) by hand or as a long-running process, with readable tables or --json."""

from __future__ import annotations

import dataclasses
import json
import signal
import threading
import time
from typing import Any

from rich.console import Console
from rich.table import Table

from gateway.errors import GatewayError
from gateway.pipeline import channels
from gateway.pipeline.runtime import Runtime, build_runtime
from gateway.settings import Settings

OUTCOME_STYLE = {"archived": "green", "error": "red", "kept": "yellow", "delivered": "green", "failed": "red"}


def _start(settings: Settings) -> Runtime | None:
    from gateway.worker import tasks  # noqa: F401  (registers the task functions)

    try:
        return build_runtime(settings)
    except Exception as exc:  # the command's edge: a database that cannot be reached, a bad config
        Console(stderr=True).print(f"[red]{type(exc).__name__}: {exc}[/red]", highlight=False)
        return None


def as_dict(report: channels.ChannelsReport) -> dict[str, Any]:
    return {
        "at": report.at.isoformat(),
        "filedrop": [dataclasses.asdict(p) for p in report.filedrop.pickups],
        "left_alone": [{"partner": p, "file": f, "why": w} for p, f, w in report.filedrop.left_alone],
        "as2": [dataclasses.asdict(a) for a in report.as2],
    }


def show(console: Console, report: channels.ChannelsReport, *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(as_dict(report)), flush=True)
        return
    fd = report.filedrop
    console.print(
        f"{report.at.isoformat()}: {len(fd.pickups)} file(s) picked up: {fd.count('archived')} archived, "
        f"{fd.count('error')} to error/, {fd.count('kept')} kept in the inbox; "
        f"{len(fd.left_alone)} left alone; {len(report.as2)} AS2 attempt(s)",
        highlight=False,
    )
    if fd.pickups:
        table = Table(
            "partner", "file", "outcome", "receipt", "status", "now at / reason", title_justify="left"
        )
        for p in fd.pickups:
            style = OUTCOME_STYLE.get(p.outcome, "")
            table.add_row(
                p.partner_id,
                p.file_name,
                f"[{style}]{p.outcome}[/{style}]",
                (p.receipt_id or "-")[:8],
                p.status or "-",
                p.reason or p.path,
            )
        console.print(table)
    if report.as2:
        table = Table("partner", "what", "id", "outcome", "detail", title="AS2", title_justify="left")
        for a in report.as2:
            style = OUTCOME_STYLE.get(a.outcome, "yellow")
            table.add_row(
                a.partner_id or "-", a.kind, a.id[:8], f"[{style}]{a.outcome}[/{style}]", a.detail or ""
            )
        console.print(table)


def run(
    settings: Settings, *, once: bool, partner_id: str | None, interval_s: float | None, as_json: bool
) -> int:
    rt = _start(settings)
    if rt is None:
        return 2
    console = Console()
    try:
        while True:
            report = channels.sweep(rt, partner_id=partner_id)
            show(console, report, as_json=as_json)
            if once:
                return 1 if report.filedrop.count("error") else 0
            time.sleep(interval_s if interval_s is not None else settings.filedrop.interval_s)
    except GatewayError as exc:
        Console(stderr=True).print(f"[red]{type(exc).__name__}: {exc}[/red]", highlight=False)
        return 2
    except KeyboardInterrupt:
        return 0
    finally:
        rt.close()


def watch(settings: Settings, *, partner_id: str | None, as_json: bool) -> int:
    rt = _start(settings)
    if rt is None:
        return 2
    console = Console()
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        if not as_json:
            console.print("watching the file-drop inboxes; Ctrl-C stops", highlight=False)
        channels.watch(
            rt, stop=stop, on_sweep=lambda r: show(console, r, as_json=as_json), partner_id=partner_id
        )
        return 0
    except (GatewayError, ValueError) as exc:
        Console(stderr=True).print(f"[red]{type(exc).__name__}: {exc}[/red]", highlight=False)
        return 2
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        rt.close()
