"""`gateway ingest FILE...` and `gateway erp import FILE`: readable tables, or --json."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from gateway.errors import GatewayError
from gateway.pipeline import erp, ingest, views
from gateway.pipeline.runtime import Runtime, build_runtime
from gateway.settings import Settings
from gateway.store.session import session_scope

STATUS_STYLE = {
    "correlated": "green",
    "processed": "green",
    "mapped": "green",
    "skipped": "yellow",
    "duplicate": "yellow",
    "failed": "red",
    "received": "cyan",
}


def open_runtime(settings: Settings) -> Runtime:
    from gateway.worker import tasks  # noqa: F401  (registers the task functions)

    return build_runtime(settings)


def ingest_files(rt: Runtime, files: list[Path], *, partner_id: str | None) -> list[views.ReceiptView]:
    """Receive each file (processing runs inline or on the queue) and read back what became of it."""
    out: list[views.ReceiptView] = []
    with Progress(transient=True, disable=len(files) < 5) as progress:
        task = progress.add_task("ingesting", total=len(files))
        for path in files:
            receipt_id = ingest.receive(
                rt, path.read_bytes(), channel="cli", file_name=path.name, partner_id=partner_id
            )
            with session_scope(rt.sessionmaker) as session:
                out.append(views.receipt(session, receipt_id))
            progress.advance(task)
    return out


def render_receipts(console: Console, receipts: list[views.ReceiptView]) -> None:
    table = Table(title="Documents received", title_justify="left")
    for col in ("file", "receipt", "document", "partner", "type", "set", "status", "events", "issues", "ack"):
        table.add_column(col, overflow="fold")
    for r in receipts:
        ack = "; ".join(r.acks) or "-"
        if not r.documents:
            style = STATUS_STYLE.get(r.status, "")
            detail = r.error or ""
            table.add_row(
                r.file_name or "",
                r.receipt_id[:8],
                "-",
                "-",
                "-",
                "-",
                f"[{style}]{r.status}[/{style}]" if style else r.status,
                "0",
                detail,
                ack,
            )
        for d in r.documents:
            style = STATUS_STYLE.get(d.status, "")
            table.add_row(
                r.file_name or "",
                r.receipt_id[:8],
                d.document_id[:8],
                d.partner_id or "",
                d.doc_type,
                d.control_number or "",
                f"[{style}]{d.status}[/{style}]" if style else d.status,
                str(d.events),
                str(d.issues),
                ack,
            )
    console.print(table)


def run(settings: Settings, files: list[Path], *, partner_id: str | None, as_json: bool) -> int:
    console = Console()
    rt = open_runtime(settings)
    try:
        receipts = ingest_files(rt, files, partner_id=partner_id)
    except (GatewayError, OSError) as exc:
        Console(stderr=True).print(f"[red]{type(exc).__name__}: {exc}[/red]")
        return 2
    finally:
        rt.close()
    if as_json:
        print(json.dumps([dataclasses.asdict(r) for r in receipts], indent=2, default=str))
    else:
        render_receipts(console, receipts)
    return 1 if any(r.status == "failed" for r in receipts) else 0


def run_erp_import(settings: Settings, file: Path, *, send: bool, as_json: bool) -> int:
    rt = open_runtime(settings)
    try:
        data = erp.parse(file.read_bytes())
        with session_scope(rt.sessionmaker) as session:
            report = erp.import_erp(session, rt, data, send=send)
    except (GatewayError, OSError, ValueError) as exc:
        Console(stderr=True).print(f"[red]{type(exc).__name__}: {exc}[/red]")
        return 2
    finally:
        rt.close()
    if as_json:
        print(json.dumps(dataclasses.asdict(report), indent=2))
        return 0
    console = Console()
    console.print(
        f"imported {len(report.purchase_orders)} purchase orders and "
        f"{len(report.production_orders)} production orders"
    )
    if report.goods_receipts or report.stock:
        console.print(f"recorded {len(report.goods_receipts)} goods receipts and {report.stock} stock levels")
    for receipt_id in report.unmatched_receipts:
        console.print(f"  [yellow]goods receipt {receipt_id} names no known PO line[/yellow]")
    for po, partner, path in report.sent:
        console.print(f"  850 for PO {po} to {partner}: {path or '(no file drop configured)'}")
    return 0
