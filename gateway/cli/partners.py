"""`gateway partners list|validate`."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table

from gateway.errors import PartnerConfigError
from gateway.partners.registry import load_partners, validate_references
from gateway.settings import Settings


def list_partners(settings: Settings, *, as_json: bool) -> int:
    registry = load_partners(settings.partners_dir)
    rows = [
        {
            "id": p.id,
            "name": p.name,
            "enabled": p.enabled,
            "mode": str(p.mode),
            "isa": f"{p.x12.isa_qualifier}:{p.x12.isa_id}" if p.x12 else None,
            "version": p.x12.version if p.x12 else None,
            "functional_ack": str(p.x12.functional_ack) if p.x12 else None,
        }
        for p in registry.all()
    ]
    if as_json:
        print(json.dumps(rows, indent=2))
        return 0
    table = Table(title=f"{len(rows)} partners in {settings.partners_dir}")
    for col in ("id", "name", "enabled", "mode", "isa", "version", "functional_ack"):
        table.add_column(col)
    for r in rows:
        table.add_row(*("" if v is None else str(v) for v in r.values()))
    Console().print(table)
    return 0


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
