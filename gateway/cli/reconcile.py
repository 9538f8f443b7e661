"""`gateway reconcile FILE`: every variance between an ERP snapshot and the ledger (exit 1 if any)."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from gateway.errors import GatewayError
from gateway.pipeline import reconcile
from gateway.pipeline.runtime import build_runtime
from gateway.settings import Settings
from gateway.store.session import session_scope


def run(settings: Settings, file: Path, *, as_json: bool) -> int:
    try:
        lines = reconcile.parse_snapshot(file.read_bytes())
        rt = build_runtime(settings)
    except (GatewayError, OSError, ValueError) as exc:
        Console(stderr=True).print(f"[red]{type(exc).__name__}: {exc}[/red]", highlight=False)
        return 2
    try:
        with session_scope(rt.sessionmaker) as session:
            report = reconcile.reconcile(session, lines)
    finally:
        rt.close()
    code = 1 if report.variances else 0
    if as_json:
        out = {
            "erp_lines": report.erp_lines,
            "gateway_lines": report.gateway_lines,
            "counts": report.counts(),
            "variances": [v.as_dict() for v in report.variances],
        }
        print(json.dumps(out, indent=2))
        return code
    console = Console()
    console.print(
        f"{report.erp_lines} ERP lines, {report.gateway_lines} gateway lines: "
        f"{len(report.variances)} variance(s)",
        highlight=False,
    )
    if report.variances:
        table = Table("partner", "PO", "line", "variance", "ERP", "gateway")
        for v in report.variances:
            table.add_row(
                v.partner_id, v.po_number, v.line_number, str(v.kind), v.erp or "-", v.gateway or "-"
            )
        console.print(table)
    return code
