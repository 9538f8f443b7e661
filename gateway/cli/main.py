"""The `gateway` command: translate, ingest, ERP import, demo, serve, worker, database and partners."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from gateway.settings import Settings

app = typer.Typer(
    name="gateway",
    help="Supplier collaboration gateway: supplier EDI in, canonical events and exceptions out.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
erp_app = typer.Typer(help="ERP purchase orders and production demand.", no_args_is_help=True)
partners_app = typer.Typer(help="Trading partner configuration.", no_args_is_help=True)
monitors_app = typer.Typer(help="SLA monitors (missing 997s, 855s and shipments).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(erp_app, name="erp")
app.add_typer(partners_app, name="partners")
app.add_typer(monitors_app, name="monitors")
webhooks_app = typer.Typer(help="Webhooks to internal subscribers (Standard Webhooks).", no_args_is_help=True)
app.add_typer(webhooks_app, name="webhooks")
clients_app = typer.Typer(help="OAuth 2 clients of partners and internal systems.", no_args_is_help=True)
app.add_typer(clients_app, name="clients")
keys_app = typer.Typer(help="The keys that sign access tokens.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
channels_app = typer.Typer(
    help="Channels: file-drop pick-up, AS2 retries, partner REST API polls.", no_args_is_help=True
)
app.add_typer(channels_app, name="channels")

Files = Annotated[list[Path], typer.Argument(help="EDI files to read.", show_default=False)]
PartnerOpt = Annotated[
    str | None, typer.Option("--partner", help="Treat every file as sent by this partner id.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]


@app.command()
def translate(
    files: Files,
    partner: PartnerOpt = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs", "-j", min=1, help="Worker processes (default: one per CPU for files of 2 MB or more)."
        ),
    ] = None,
) -> None:
    """Translate EDI files to canonical events (JSON lines on stdout); no database."""
    import gateway.cli.translate as command

    settings = Settings()
    raise typer.Exit(
        command.run(
            files,
            maps_dir=settings.maps_dir,
            partners_dir=settings.partners_dir,
            partner_id=partner,
            jobs=jobs,
        )
    )


@app.command()
def ingest(files: Files, partner: PartnerOpt = None, as_json: JsonOpt = False) -> None:
    """Store the raw bytes of each file, process them, and show documents, events and acks."""
    import gateway.cli.ingest as command

    raise typer.Exit(command.run(Settings(), files, partner_id=partner, as_json=as_json))


@erp_app.command("import")
def erp_import(
    file: Annotated[Path, typer.Argument(help="JSON with purchase_orders and production_orders.")],
    send: Annotated[bool, typer.Option(help="Write an 850 to each supplier's outbox.")] = True,
    as_json: JsonOpt = False,
) -> None:
    """Import purchase orders and production orders (with component requirements)."""
    import gateway.cli.ingest as command

    raise typer.Exit(command.run_erp_import(Settings(), file, send=send, as_json=as_json))


@app.command()
def demo(
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the API afterwards.")] = True,
) -> None:
    """Run the whole story on the embedded default (SQLite under var/, jobs inline), then serve."""
    import gateway.cli.demo as command

    settings = Settings()
    command.run(settings)
    if serve:
        _serve(settings)


@app.command()
def serve() -> None:
    """Serve the API (GATEWAY_HOST, GATEWAY_PORT; 127.0.0.1:8000 by default)."""
    _serve(Settings())


def _serve(settings: Settings) -> None:
    import uvicorn

    from gateway.app import create_app
    from gateway.kit import logs, tracing

    logs.configure(json=settings.log_json)
    tracing.configure(settings.tracing, service_name="supplier-gateway-api")
    typer.echo(f"Serving the API on http://{settings.host}:{settings.port} (docs at /docs); Ctrl-C stops.")
    uvicorn.run(
        create_app(settings), host=settings.host, port=settings.port, log_level="warning", log_config=None
    )


@app.command()
def worker(burst: Annotated[bool, typer.Option(help="Stop when the queue is empty.")] = False) -> None:
    """Run an arq worker (needs GATEWAY_REDIS_URL)."""
    from gateway.kit import logs, tracing
    from gateway.worker import tasks  # noqa: F401  (registers the task functions)
    from gateway.worker.settings import run_worker

    settings = Settings()
    logs.configure(json=settings.log_json)
    tracing.configure(settings.tracing, service_name="supplier-gateway-worker")
    if settings.metrics_port is not None:
        from prometheus_client import start_http_server

        from gateway.pipeline.observability import process_registry

        start_http_server(settings.metrics_port, registry=process_registry())
    raise typer.Exit(run_worker(settings, burst=burst))


@app.command()
def sweep(as_json: JsonOpt = False) -> None:
    """Queue again (or, inline, run now) every receipt and outbound message whose attempt is overdue."""
    import gateway.cli.operations as command

    raise typer.Exit(command.sweep(Settings(), as_json=as_json))


@app.command("replay")
def replay_cmd(
    receipt: Annotated[list[str] | None, typer.Option("--receipt", help="A receipt id (repeatable).")] = None,
    document: Annotated[
        list[str] | None, typer.Option("--document", help="A document id (repeatable).")
    ] = None,
    partner: Annotated[str | None, typer.Option("--partner", help="Every receipt of this partner...")] = None,
    since: Annotated[datetime | None, typer.Option(help="...received at or after (UTC).")] = None,
    until: Annotated[datetime | None, typer.Option(help="...received before (UTC).")] = None,
    dead_letters: Annotated[bool, typer.Option("--dead-letters", help="Everything dead-lettered.")] = False,
    apply: Annotated[bool, typer.Option("--apply", help="Make the change (default: only show it).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Re-derive events from the raw bytes with today's maps: show what would change, apply with --apply."""
    import gateway.cli.replay as command
    from gateway.pipeline.replay import Selection

    selection = Selection(
        receipt_ids=receipt or [],
        document_ids=document or [],
        partner_id=partner,
        since=since.replace(tzinfo=UTC) if since is not None and since.tzinfo is None else since,
        until=until.replace(tzinfo=UTC) if until is not None and until.tzinfo is None else until,
        dead_letters=dead_letters,
    )
    if selection.empty():
        raise typer.BadParameter("name --receipt, --document, --partner or --dead-letters")
    raise typer.Exit(command.run(Settings(), selection, apply=apply, as_json=as_json))


@app.command("dead-letters")
def dead_letters(
    all_: Annotated[bool, typer.Option("--all", help="Also those resolved since.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List the items that gave up after their last attempt, with the reason."""
    import gateway.cli.operations as command

    raise typer.Exit(command.dead_letters(Settings(), include_resolved=all_, as_json=as_json))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every database migration (alembic upgrade head)."""
    from gateway.store import migrate

    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings.effective_database_url)
    typer.echo("database is at the latest schema")


@app.command()
def openapi(
    write: Annotated[bool, typer.Option(help="Write openapi/ instead of checking it.")] = False,
) -> None:
    """Check (or with --write regenerate) openapi/openapi.json and openapi/events.schema.json."""
    import gateway.cli.spec as spec

    raise typer.Exit(spec.run(write=write))


@partners_app.command("list")
def partners_list(as_json: JsonOpt = False) -> None:
    """List the configured trading partners."""
    import gateway.cli.partners as command

    raise typer.Exit(command.list_partners(Settings(), as_json=as_json))


@partners_app.command("validate")
def partners_validate() -> None:
    """Validate every partners/*.yaml and what it references: maps, certificates, secrets."""
    import gateway.cli.partners as command

    raise typer.Exit(command.validate(Settings()))


@partners_app.command("test")
def partners_test(
    partner: Annotated[str, typer.Argument(help="The partner id whose config reads the files.")],
    files: Files,
    as_json: JsonOpt = False,
) -> None:
    """Translate sample documents with one partner's config and show its events and every issue."""
    import gateway.cli.partners as command

    raise typer.Exit(command.test_files(Settings(), partner, files, as_json=as_json))


@monitors_app.command("run")
def monitors_run(as_json: JsonOpt = False) -> None:
    """Run every SLA monitor once, inline: open and close no_functional_ack, no_po_ack, shipment_overdue."""
    import gateway.cli.monitors as command

    raise typer.Exit(command.run(Settings(), as_json=as_json))


@webhooks_app.command("deliver")
def webhooks_deliver(
    once: Annotated[bool, typer.Option("--once", help="One sweep, then exit.")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between sweeps without --once.")] = 30.0,
    as_json: JsonOpt = False,
) -> None:
    """Fan new events out to the subscribers (GATEWAY_SUBSCRIBERS_FILE) and deliver the due ones."""
    import gateway.cli.webhooks as command

    raise typer.Exit(command.deliver(Settings(), once=once, interval_s=interval, as_json=as_json))


@webhooks_app.command("list")
def webhooks_list(
    status: Annotated[str | None, typer.Option(help="pending, delivered or dead.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many deliveries.")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Show deliveries with their attempts (newest last)."""
    import gateway.cli.webhooks as command

    raise typer.Exit(command.list_deliveries(Settings(), status=status, limit=limit, as_json=as_json))


@app.command("native")
def native_build(
    action: Annotated[str, typer.Argument(help="build, status or clean.")] = "status",
) -> None:
    """The optional compiled build of the hot modules (mypyc; `build` needs a C compiler)."""
    from gateway import native

    if action not in ("build", "status", "clean"):
        raise typer.BadParameter("use build, status or clean", param_hint="ACTION")
    if action == "build":
        native.build()
    elif action == "clean":
        native.clean()
    mode, why = native.state()
    typer.echo(f"gateway native modules: {mode} ({why})")


@channels_app.command("run")
def channels_run(
    once: Annotated[
        bool, typer.Option("--once", help="One sweep, then exit (1 when a file went to error/).")
    ] = False,
    partner: Annotated[str | None, typer.Option("--partner", help="Only this partner's mailbox.")] = None,
    interval: Annotated[
        float | None,
        typer.Option(help="Seconds between sweeps without --once (GATEWAY_FILEDROP__INTERVAL_S)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Pick up the files in the partners' inboxes (store, process, archive or error/); retry due AS2 sends."""
    import gateway.cli.channels as command

    raise typer.Exit(
        command.run(Settings(), once=once, partner_id=partner, interval_s=interval, as_json=as_json)
    )


@channels_app.command("watch")
def channels_watch(
    partner: Annotated[str | None, typer.Option("--partner", help="Only this partner's mailbox.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Watch the inboxes (watchfiles) and pick up each file as it lands; Ctrl-C or SIGTERM stops."""
    import gateway.cli.channels as command

    raise typer.Exit(command.watch(Settings(), partner_id=partner, as_json=as_json))


@app.command("reconcile")
def reconcile_cmd(
    file: Annotated[Path, typer.Argument(help="ERP snapshot of PO lines (JSON).")],
    as_json: JsonOpt = False,
) -> None:
    """Compare an ERP snapshot of PO lines with the gateway's ledger; exit 1 when they differ."""
    import gateway.cli.reconcile as command

    raise typer.Exit(command.run(Settings(), file, as_json=as_json))


ClientIdArg = Annotated[str, typer.Argument(help="The client id.", show_default=False)]


@clients_app.command("create")
def clients_create(
    partner: Annotated[str | None, typer.Option("--partner", help="Bind the client to this partner.")] = None,
    role: Annotated[
        str | None, typer.Option("--role", help="Or to an internal role: erp, planning, integration, admin.")
    ] = None,
    scope: Annotated[
        list[str] | None,
        typer.Option("--scope", help="A scope to grant (repeat); default: all the owner may hold."),
    ] = None,
    auth_method: Annotated[
        str, typer.Option("--auth-method", help="client_secret_basic, client_secret_post or private_key_jwt.")
    ] = "client_secret_basic",
    jwk_file: Annotated[
        Path | None, typer.Option("--jwk-file", help="The client's PUBLIC JWK or JWKS (private_key_jwt).")
    ] = None,
    client_id: Annotated[str | None, typer.Option("--client-id", help="Default: <owner>-<random>.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="A readable name.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a client; its secret is printed once (the database keeps only a hash)."""
    import gateway.cli.clients as command
    from gateway.partners.model import ClientAuthMethod

    try:
        method = ClientAuthMethod(auth_method)
    except ValueError:
        raise typer.BadParameter(f"unknown auth method {auth_method!r}", param_hint="--auth-method") from None
    raise typer.Exit(
        command.create(
            Settings(),
            partner_id=partner,
            role=role,
            scopes=scope or [],
            auth_method=method,
            jwk_file=jwk_file,
            client_id=client_id,
            name=name,
            as_json=as_json,
        )
    )


@clients_app.command("list")
def clients_list(
    partner: Annotated[str | None, typer.Option("--partner", help="Only this partner's clients.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List the clients (partner files' and the CLI's), with their scopes and state."""
    import gateway.cli.clients as command

    raise typer.Exit(command.list_clients(Settings(), partner_id=partner, as_json=as_json))


@clients_app.command("revoke")
def clients_revoke(client_id: ClientIdArg, as_json: JsonOpt = False) -> None:
    """Revoke a client and every token it holds."""
    import gateway.cli.clients as command

    raise typer.Exit(command.revoke(Settings(), client_id, as_json=as_json))


@clients_app.command("secret")
def clients_secret(client_id: ClientIdArg, as_json: JsonOpt = False) -> None:
    """Issue a new secret for a client (printed once; the old one stops working)."""
    import gateway.cli.clients as command

    raise typer.Exit(command.issue_secret(Settings(), client_id, as_json=as_json))


@clients_app.command("sync")
def clients_sync(as_json: JsonOpt = False) -> None:
    """Bring the partner files' `api.clients` into the database (the API also does it at start)."""
    import gateway.cli.clients as command

    raise typer.Exit(command.sync(Settings(), as_json=as_json))


@keys_app.command("rotate")
def keys_rotate(as_json: JsonOpt = False) -> None:
    """Make a new signing key active; the previous one stays published until its tokens expire."""
    import gateway.cli.clients as command

    raise typer.Exit(command.rotate_keys(Settings(), as_json=as_json))


@keys_app.command("list")
def keys_list(as_json: JsonOpt = False) -> None:
    """List the signing keys: the active one, retired ones and whether they are still published."""
    import gateway.cli.clients as command

    raise typer.Exit(command.list_keys(Settings(), as_json=as_json))


@channels_app.command("poll")
def channels_poll(
    partner: Annotated[str | None, typer.Option("--partner", help="Only this partner.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Poll partner REST APIs (confirmations, shipments) once, from where the last poll stopped."""
    import gateway.cli.poll as command

    raise typer.Exit(command.run(Settings(), partner_id=partner, as_json=as_json))


def main() -> None:
    app()
