"""`gateway replay`: what re-deriving the events from the raw bytes would change, applied with --apply."""

from __future__ import annotations

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from gateway.cli.ingest import open_runtime
from gateway.errors import GatewayError
from gateway.pipeline import audit, replay
from gateway.settings import Settings

ACTION_STYLE = {
    replay.Action.UNCHANGED: "dim",
    replay.Action.CORRECT: "yellow",
    replay.Action.REPROCESS: "cyan",
    replay.Action.REQUEUE: "cyan",
    replay.Action.SKIP: "dim",
    replay.Action.FAILED: "red",
}
CHANGE_STYLE = {
    "added": "green",
    "changed": "yellow",
    "removed": "red",
    "superseded": "dim",
    "not_retracted": "red",
}


def run(settings: Settings, selection: replay.Selection, *, apply: bool, as_json: bool) -> int:
    rt = open_runtime(settings)
    # On stderr, drawn only on a terminal and cleared at the end: stdout stays the report (or JSON).
    progress = Progress(console=Console(stderr=True), transient=True)
    task = progress.add_task("replaying" if apply else "planning the replay", total=None)

    def advance(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total)

    try:
        with progress:
            report = replay.run(rt, selection, apply=apply, actor=audit.cli_actor(), on_progress=advance)
    except (GatewayError, ValueError) as error:
        Console(stderr=True).print(f"[red]{type(error).__name__}: {error}[/red]")
        return 2
    finally:
        rt.close()
    if as_json:
        print(report.model_dump_json(indent=2))
    else:
        render(Console(), report)
    return 1 if report.count(replay.Action.FAILED) else 0


def render(console: Console, report: replay.ReplayReport) -> None:
    for plan in report.plans:
        style = ACTION_STYLE[plan.action]
        title = f"receipt {plan.receipt_id}" + (f" ({plan.file_name})" if plan.file_name else "")
        console.print(
            f"[bold]{title}[/bold] [{style}]{plan.action}[/{style}]" + (f": {plan.note}" if plan.note else "")
        )
        if plan.events:
            table = Table(title="events", title_justify="left", show_edge=False)
            for column in ("change", "event", "fields", "document"):
                table.add_column(column, overflow="fold")
            for e in plan.events:
                s = CHANGE_STYLE.get(e.change, "")
                table.add_row(f"[{s}]{e.change}[/{s}]", e.key, ", ".join(e.fields), e.document_id[:8])
            console.print(table)
        if plan.lines:
            table = Table(title="ledger per PO line", title_justify="left", show_edge=False)
            for column in ("PO", "line", "field", "before", "after"):
                table.add_column(column, overflow="fold")
            for line in plan.lines:
                for name in line.fields:
                    table.add_row(
                        line.po_number,
                        line.line_number,
                        name,
                        str(line.before.get(name)),
                        f"[bold]{line.after.get(name)}[/bold]",
                    )
            console.print(table)
        for case in plan.exceptions_opened:
            console.print(f"  [red]opens[/red] {case}")
        for case in plan.exceptions_resolved:
            console.print(f"  [green]resolves[/green] {case}")
    counts = ", ".join(f"{report.count(a)} {a}" for a in replay.Action if report.count(a))
    verb = "applied" if report.applied else "would change (nothing applied; add --apply)"
    console.print(f"\n{len(report.plans)} items: {counts or 'none'}; {report.changes} {verb}")
