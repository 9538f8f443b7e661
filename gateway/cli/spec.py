"""`gateway openapi [--write]`: the committed API contract in `openapi/`.

`openapi/openapi.json` is `create_app().openapi()` (built without starting the lifespan, so no
database is touched), `openapi/events.schema.json` is the canonical events' JSON Schema and
`openapi/partner.schema.json` the schema of a `partners/*.yaml` file (for editors and reviews of a
new supplier's file). Without `--write` the files are compared with what the code generates; a drift
is exit code 1.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from gateway.canonical import events
from gateway.partners.model import PartnerConfig

OPENAPI_DIR = Path("openapi")
OPENAPI_FILE = "openapi.json"
EVENTS_FILE = "events.schema.json"
PARTNER_FILE = "partner.schema.json"


def openapi_text() -> str:
    from gateway.app import create_app

    return json.dumps(create_app().openapi(), indent=2, sort_keys=True) + "\n"


def partner_schema_text() -> str:
    schema = PartnerConfig.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Trading partner (partners/<id>.yaml)"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def generated() -> dict[str, str]:
    """File name -> the text the code generates for it."""
    return {
        OPENAPI_FILE: openapi_text(),
        EVENTS_FILE: events.dumps_schema(),
        PARTNER_FILE: partner_schema_text(),
    }


def run(*, write: bool, directory: Path = OPENAPI_DIR) -> int:
    files = generated()
    if write:
        directory.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (directory / name).write_text(text, encoding="utf-8")
            typer.echo(f"wrote {directory / name}")
        return 0
    drifted = [
        name
        for name, text in files.items()
        if not (directory / name).is_file() or (directory / name).read_text(encoding="utf-8") != text
    ]
    for name in drifted:
        typer.echo(
            f"{directory / name} differs from what the code generates; run `gateway openapi --write`",
            err=True,
        )
    if not drifted:
        typer.echo(f"{', '.join(str(directory / name) for name in files)} are up to date")
    return 1 if drifted else 0
