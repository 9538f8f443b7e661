"""`gateway partners list|validate|test`: the onboarding harness for a new supplier's file."""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.table import Table

from gateway import canonical
from gateway.cli.translate import EXIT_OK, EXIT_REJECTED, EXIT_UNREADABLE, file_sha256
from gateway.errors import FormatError, GatewayError, PartnerConfigError
from gateway.formats.issues import Issue, Severity
from gateway.mapping import Event as MappedEvent
from gateway.mapping import MapRegistry
from gateway.partners.model import PartnerConfig
from gateway.partners.registry import load_partners, validate_references
from gateway.pipeline import translate
from gateway.settings import Settings


def _identities(p: PartnerConfig) -> list[str]:
    """How the partner is known in each format it speaks."""
    out = []
    if p.x12 is not None:
        out.append(f"x12 {p.x12.isa_qualifier}:{p.x12.isa_id} {p.x12.version}")
    if p.edifact is not None:
        qualifier = f"{p.edifact.unb_qualifier}:" if p.edifact.unb_qualifier else ""
        out.append(f"edifact {qualifier}{p.edifact.unb_id} {p.edifact.directory}")
    if p.cxml is not None:
        out.append(f"cxml {p.cxml.domain}:{p.cxml.identity}")
    if p.portal is not None:
        out.append(f"portal {p.portal.portal}:{p.portal.account}")
    if p.channels.as2 is not None:
        out.append(f"as2 {p.channels.as2.as2_id}")
    return out


def _channels(p: PartnerConfig) -> list[str]:
    return [name for name in ("filedrop", "as2", "rest_poll") if getattr(p.channels, name) is not None]


def list_partners(settings: Settings, *, as_json: bool) -> int:
    registry = load_partners(settings.partners_dir)
    rows = [
        {
            "id": p.id,
            "name": p.name,
            "enabled": p.enabled,
            "mode": str(p.mode),
            "identities": _identities(p),
            "channels": _channels(p),
            "orders_out": p.outbound_format,
        }
        for p in registry.all()
    ]
    if as_json:
        print(json.dumps(rows, indent=2))
        return 0
    table = Table(title=f"{len(rows)} partners in {settings.partners_dir}", title_justify="left")
    for col in ("id", "name", "enabled", "mode", "identities", "channels", "orders out"):
        table.add_column(col, overflow="fold")
    for r in rows:
        enabled = "[green]yes[/green]" if r["enabled"] else "[red]no[/red]"
        mode = "[yellow]test[/yellow]" if r["mode"] == "test" else str(r["mode"])
        table.add_row(
            str(r["id"]),
            str(r["name"]),
            enabled,
            mode,
            "\n".join(_identities_of(r)),
            ", ".join(_identities_of(r, "channels")) or "-",
            str(r["orders_out"]),
        )
    Console().print(table)
    return 0


def _identities_of(row: dict[str, object], key: str = "identities") -> list[str]:
    value = row[key]
    assert isinstance(value, list)
    return [str(v) for v in value]


def validate(settings: Settings) -> int:
    console = Console(stderr=True)
    try:
        registry = load_partners(settings.partners_dir)
    except PartnerConfigError as exc:
        console.print(f"[red]invalid partner configuration[/red]\n{exc.detail}")
        return 2
    problems = validate_references(registry, settings.maps_dir, settings.partners_dir)
    for problem in problems:
        console.print(f"[red]{problem}[/red]")
    if problems:
        return 2
    Console().print(f"[green]{len(registry)} partners valid[/green] in {settings.partners_dir}")
    return 0


def _event_row(event: MappedEvent) -> tuple[str, str, str, str, str, str]:
    """(type, PO, line or shipment, status, quantity, date) of one canonical event, for a table."""
    if isinstance(event, canonical.Commitment):
        qty = f"{event.quantity} {event.unit or ''}".strip() if event.quantity is not None else ""
        date = str(event.committed_date or "")
        return ("commitment", event.po_number, event.line_number or "(order)", str(event.status), qty, date)
    if isinstance(event, canonical.Shipment):
        total = sum((line.quantity for line in event.lines), Decimal(0))
        pos = ", ".join(sorted({line.po_number for line in event.lines}))
        return (
            "shipment",
            pos,
            event.shipment_id,
            str(event.purpose),
            f"{total} in {len(event.lines)} lines",
            str(event.ship_date or ""),
        )
    if isinstance(event, canonical.FunctionalAck):
        return ("functional_ack", "", f"group {event.group_control_number}", str(event.status), "", "")
    return (
        "purchase_order",
        event.po_number,
        f"{len(event.lines)} lines",
        f"revision {event.revision}",
        "",
        str(event.order_date),
    )


def test_files(settings: Settings, partner_id: str, files: list[Path], *, as_json: bool) -> int:
    """Translate sample documents as `partner_id` sends them (its maps, overrides and identifiers)
    and show every canonical event and every issue; nothing is stored. Exit 0 when all were read and
    mapped, 1 when a document was rejected, 2 when a file could not be read."""
    err = Console(stderr=True)
    try:
        registry = load_partners(settings.partners_dir)
        partner = registry.get(partner_id)
        maps = MapRegistry.load(settings.maps_dir)
    except GatewayError as exc:
        err.print(f"[red]{type(exc).__name__}: {exc.detail}[/red]")
        return EXIT_UNREADABLE
    status = EXIT_OK
    report: list[dict[str, object]] = []
    console = Console()
    for path in files:
        try:
            with path.open("rb") as fp:
                ctx = translate.TranslateContext(
                    content_sha256=file_sha256(path),
                    maps=maps,
                    partners=registry,
                    partner_id=partner.id,
                    file_name=path.name,
                )
                items = list(translate.documents(fp, ctx))
        except FormatError as exc:
            report.append({"file": str(path), "error": exc.describe()})
            status = EXIT_UNREADABLE
            continue
        except (OSError, GatewayError) as exc:
            report.append({"file": str(path), "error": f"{type(exc).__name__}: {path}: {exc}"})
            status = EXIT_UNREADABLE
            continue
        documents: list[dict[str, object]] = []
        envelope: list[dict[str, object]] = []
        for item in items:
            if isinstance(item, translate.EnvelopeNote):
                envelope += [i.as_dict() for i in item.issues]
                if any(i.severity is Severity.ERROR for i in item.issues):
                    status = max(status, EXIT_REJECTED)
                continue
            if item.rejected:
                status = max(status, EXIT_REJECTED)
            documents.append(
                {
                    "format": item.format,
                    "doc_type": item.doc_type,
                    "control_number": item.control_number,
                    "status": _state(item),
                    "skipped": item.skipped,
                    "events": [e.model_dump(mode="json") for e in item.events],
                    "issues": [i.as_dict() for i in item.issues],
                }
            )
        report.append({"file": str(path), "documents": documents, "envelope_issues": envelope})
        if not as_json:
            _render_test(console, path, items)
    if as_json:
        print(json.dumps(report, indent=2))
    for entry in report:
        if "error" in entry:
            err.print(f"[red]{entry['error']}[/red]")
    return status


_STATE_STYLE = {"skipped": "yellow", "rejected": "red", "mapped": "green"}


def _state(item: translate.DocumentOutcome) -> str:
    return "skipped" if item.skipped else ("rejected" if item.rejected else "mapped")


def _render_test(console: Console, path: Path, items: list[translate.Translated]) -> None:
    console.rule(f"[bold]{path}")
    for item in items:
        if isinstance(item, translate.EnvelopeNote):
            _render_issues(console, "envelope", item.issues)
            continue
        state = (
            "[yellow]skipped[/yellow]"
            if item.skipped
            else ("[red]rejected[/red]" if item.rejected else "[green]mapped[/green]")
        )
        console.print(
            f"{item.format} {item.doc_type} {item.control_number}"
            f"{' (test)' if item.is_test else ''}: {state}, {len(item.events)} events"
            + (f" ({item.skipped})" if item.skipped else "")
        )
        if item.events:
            table = Table(show_header=True, header_style="bold", title_justify="left")
            for col in ("event", "PO", "line / shipment", "status", "quantity", "date"):
                table.add_column(col, overflow="fold")
            for event in item.events:
                table.add_row(*_event_row(event))
            console.print(table)
        _render_issues(console, f"{item.doc_type} {item.control_number}", item.issues)


def _render_issues(console: Console, what: str, issues: Sequence[Issue]) -> None:
    if not issues:
        return
    table = Table(title=f"issues in {what}", title_justify="left", header_style="bold")
    for col in ("severity", "code", "where", "message"):
        table.add_column(col, overflow="fold")
    for issue in issues:
        style = "red" if issue.severity is Severity.ERROR else "yellow"
        table.add_row(
            f"[{style}]{issue.severity}[/{style}]", str(issue.code), issue.location.describe(), issue.message
        )
    console.print(table)
