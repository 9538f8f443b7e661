"""`gateway demo`: the whole story on the embedded default, printed for a person.

A fresh SQLite database under the data dir, the sample partners, the sample ERP orders (850s
written to each supplier's outbox, an ORDERS for the EDIFACT one), then the suppliers' 997s and
CONTRLs, 855s and ORDRSPs, 856s and DESADVs ingested in that order, the cXML supplier's documents
posted, the portal supplier's signed events delivered and the partner API's pages stored
(`demo_channels.py`), the AS2 supplier's 850 sent and its answers received by AS2 on loopback
(`demo_as2.py`), and a summary: documents, the ledger per PO line, and the open exceptions.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from rich.console import Console
from rich.table import Table

from gateway.cli import demo_as2
from gateway.cli.demo_channels import send_samples
from gateway.cli.ingest import ingest_files, open_runtime, render_receipts
from gateway.pipeline import erp, views
from gateway.settings import Settings
from gateway.store.session import session_scope

# The order a supplier's answers arrive in: the functional ack, the order response, the ship notice
# (X12 files are named by their set, EDIFACT files by their message: `ORDRSP_<UNB 0020>.edi`).
ORDER = {"997": 0, "CONTRL": 0, "855": 1, "ORDRSP": 1, "856": 2, "DESADV": 2}


def sample_files(samples: Path) -> list[Path]:
    files = sorted((samples / "x12").glob("*/*.edi")) + sorted((samples / "edifact").glob("*/*.edi"))
    return sorted(files, key=lambda p: (ORDER.get(p.name.split("_")[0], 9), p.parent.name, p.name))


def reset(settings: Settings) -> None:
    """The demo starts from nothing each time: remove the previous demo database and mailboxes."""
    db_file = settings.data_dir / "gateway.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(settings.data_dir / "filedrop", ignore_errors=True)


def run(settings: Settings, *, console: Console | None = None) -> None:
    samples = settings.samples_dir
    console = console or Console(width=None if Console().is_terminal else 160)
    if settings.database_url is None:
        reset(settings)
    side = demo_as2.prepare(settings, dt.datetime.now(dt.UTC))
    rt = open_runtime(settings)
    try:
        console.rule("[bold]Supplier collaboration gateway: demo")
        console.print(
            f"database: {settings.effective_database_url}   jobs: "
            f"{'inline' if rt.jobs.inline else 'arq (' + str(settings.redis_url) + ')'}"
        )
        console.print(f"partners: {', '.join(p.id for p in rt.partners.all())}")
        with session_scope(rt.sessionmaker) as session:
            report = erp.import_erp(
                session, rt, erp.parse((samples / "erp" / "orders.json").read_bytes()), send=True
            )
        console.print(
            f"\n[bold]ERP[/bold]: {len(report.purchase_orders)} purchase orders, "
            f"{len(report.production_orders)} production orders imported"
        )
        for (po, partner, path), kind in zip(report.sent, report.sent_kinds, strict=True):
            console.print(f"  {kind} for PO {po} -> {partner}: {path}")
        if side is not None:
            with session_scope(rt.sessionmaker) as session:
                by_as2 = erp.import_erp(session, rt, erp.parse(demo_as2.orders(samples)), send=True)
            for po, partner, _ in by_as2.sent:
                console.print(f"  850 for PO {po} -> {partner}: by AS2 to {side.url}")
        console.print()
        render_receipts(console, ingest_files(rt, sample_files(samples), partner_id=None))
        sent = send_samples(rt, samples)
        table = Table(title="cXML, portal and partner API samples sent", title_justify="left")
        for col in ("channel", "file", "receipt", "answer"):
            table.add_column(col)
        for item in sent:
            table.add_row(item.channel, item.file, item.receipt_id[:8], item.answer)
        console.print(table)
        with session_scope(rt.sessionmaker) as session:
            render_receipts(console, [views.receipt(session, item.receipt_id) for item in sent])
        if side is not None:
            as2_sent = [side.send(rt, path) for path in demo_as2.sample_files(samples)]
            demo_as2.render(console, rt, as2_sent)
            with session_scope(rt.sessionmaker) as session:
                received = [views.receipt(session, i.receipt_id) for i in as2_sent if i.receipt_id]
            render_receipts(console, received)
        with session_scope(rt.sessionmaker) as session:
            render_ledger(console, views.ledger_lines(session))
            render_cases(console, views.open_cases(session))
    finally:
        rt.close()
        if side is not None:
            side.stop()


def render_ledger(console: Console, lines: list[views.LineView]) -> None:
    table = Table(title="Purchase order lines: ordered, committed, shipped", title_justify="left")
    for col in (
        "partner",
        "PO",
        "line",
        "item",
        "ordered",
        "requested",
        "ack",
        "committed",
        "committed on",
        "shipped",
    ):
        table.add_column(col, justify="right" if col in ("ordered", "committed", "shipped") else "left")
    for ln in lines:
        committed = f"{ln.committed.normalize():f} {ln.unit}" if ln.committed is not None else "-"
        table.add_row(
            ln.partner_id,
            ln.po_number,
            ln.line_number,
            ln.item,
            f"{ln.ordered.normalize():f} {ln.unit}",
            ln.requested_on,
            ln.ack_status,
            committed,
            ln.committed_on or "-",
            f"{ln.shipped.normalize():f} {ln.unit}",
        )
    console.print(table)


def render_cases(console: Console, cases: list[views.CaseView]) -> None:
    table = Table(title=f"Open exceptions ({len(cases)})", title_justify="left")
    for col in ("#", "type", "partner", "PO", "line", "expected", "actual", "owner"):
        table.add_column(col, overflow="fold")
    for c in cases:
        style = "red" if c.type in ("rejected_line", "document_rejected", "unknown_po") else "yellow"
        table.add_row(
            str(c.id),
            f"[{style}]{c.type}[/{style}]",
            c.partner_id,
            c.po_number or "-",
            c.line_number or "-",
            c.expected or "-",
            c.actual or "-",
            c.owner,
        )
    console.print(table)
