"""`gateway clients create|list|revoke|secret|sync` and `gateway keys rotate|list`.

Secrets are printed once, when they are made, and never again: the database keeps only their keyed
hash. Every command first brings the partner files' clients (`api.clients`) into the database.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from sqlalchemy.orm import Session

from gateway.api.oauth import clients, keys
from gateway.api.oauth.authority import Authority
from gateway.errors import GatewayError
from gateway.partners.model import ClientAuthMethod
from gateway.pipeline import audit
from gateway.pipeline.runtime import Runtime, build_runtime
from gateway.settings import Settings
from gateway.store import models as db
from gateway.store import repositories as repo
from gateway.store.session import session_scope


def _with_runtime(settings: Settings, work: Callable[[Runtime, Authority, Session], int]) -> int:
    """Run `work` in one transaction after syncing the partner files' clients; a `GatewayError`
    is printed and becomes exit code 2."""
    try:
        rt = build_runtime(settings)
    except (GatewayError, OSError, ValueError) as exc:
        Console(stderr=True).print(f"[red]{type(exc).__name__}: {exc}[/red]")
        return 2
    try:
        authority = Authority.from_settings(settings)
        with session_scope(rt.sessionmaker) as session:
            clients.sync_from_partners(session, rt.partners, rt.clock.now())
            return work(rt, authority, session)
    except GatewayError as exc:
        Console(stderr=True).print(f"[red]{exc.title}: {exc.detail}[/red]")
        return 2
    finally:
        rt.close()


def _client_dict(row: db.OAuthClient) -> dict[str, Any]:
    return {
        "client_id": row.client_id,
        "name": row.name,
        "partner_id": row.partner_id,
        "role": row.role,
        "scopes": list(row.scopes),
        "auth_method": row.auth_method,
        "has_secret": row.secret_hash is not None,
        "source": row.source,
        "created_at": row.created_at.isoformat(),
        "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
    }


def _show_secret(console: Console, client_id: str, secret: str) -> None:
    console.print(
        Panel(
            f"client_id     {client_id}\nclient_secret {secret}\n\n"
            "[bold]The secret is shown once and stored only as a hash: keep it now.[/bold]",
            title="new client secret",
        )
    )


def create(
    settings: Settings,
    *,
    partner_id: str | None,
    role: str | None,
    scopes: Sequence[str],
    auth_method: ClientAuthMethod,
    jwk_file: Path | None,
    client_id: str | None,
    name: str | None,
    as_json: bool,
) -> int:
    jwks: list[dict[str, Any]] = []
    if jwk_file is not None:
        try:
            loaded = json.loads(jwk_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            Console(stderr=True).print(f"[red]cannot read {jwk_file}: {exc}[/red]")
            return 2
        jwks = list(loaded["keys"]) if isinstance(loaded, dict) and "keys" in loaded else [loaded]

    def work(rt: Runtime, authority: Authority, session: Session) -> int:
        row, secret = clients.create(
            session,
            authority,
            rt.partners,
            partner_id=partner_id,
            role=role,
            scopes=list(scopes) or None,
            auth_method=auth_method,
            jwks=jwks,
            client_id=client_id,
            name=name,
            now=rt.clock.now(),
        )
        if as_json:
            print(json.dumps({**_client_dict(row), "client_secret": secret}, indent=2))
            return 0
        console = Console()
        console.print(
            f"created client [bold]{row.client_id}[/bold] for {row.partner_id or 'role ' + str(row.role)} "
            f"with {', '.join(row.scopes)} ({row.auth_method})"
        )
        if secret is not None:
            _show_secret(console, row.client_id, secret)
        return 0

    return _with_runtime(settings, work)


def issue_secret(settings: Settings, client_id: str, *, as_json: bool) -> int:
    def work(rt: Runtime, authority: Authority, session: Session) -> int:
        secret = clients.issue_secret(session, authority, client_id, rt.clock.now())
        if as_json:
            print(json.dumps({"client_id": client_id, "client_secret": secret}, indent=2))
        else:
            _show_secret(Console(), client_id, secret)
        return 0

    return _with_runtime(settings, work)


def revoke(settings: Settings, client_id: str, *, as_json: bool) -> int:
    def work(rt: Runtime, authority: Authority, session: Session) -> int:
        row = clients.revoke(session, client_id, rt.clock.now())
        if as_json:
            print(json.dumps(_client_dict(row), indent=2))
        else:
            Console().print(f"revoked client [bold]{row.client_id}[/bold] and every token it holds")
        return 0

    return _with_runtime(settings, work)


def list_clients(settings: Settings, *, partner_id: str | None, as_json: bool) -> int:
    def work(rt: Runtime, authority: Authority, session: Session) -> int:
        rows = [_client_dict(r) for r in repo.OAuthClientRepository(session).list(partner_id=partner_id)]
        if as_json:
            print(json.dumps(rows, indent=2))
            return 0
        table = Table(title=f"{len(rows)} OAuth clients")
        for column in ("client_id", "owner", "scopes", "auth_method", "secret", "source", "revoked"):
            table.add_column(column)
        for r in rows:
            table.add_row(
                r["client_id"],
                f"partner {r['partner_id']}" if r["partner_id"] else f"role {r['role']}",
                " ".join(r["scopes"]),
                r["auth_method"],
                "yes"
                if r["has_secret"]
                else "[yellow]none[/yellow]"
                if "secret" in r["auth_method"]
                else "-",
                r["source"],
                r["revoked_at"] or "",
            )
        Console().print(table)
        return 0

    return _with_runtime(settings, work)


def sync(settings: Settings, *, as_json: bool) -> int:
    def work(rt: Runtime, authority: Authority, session: Session) -> int:
        report = clients.sync_from_partners(session, rt.partners, rt.clock.now())
        if as_json:
            print(
                json.dumps({"created": report.created, "updated": report.updated, "revoked": report.revoked})
            )
        else:
            Console().print(
                f"partner clients in sync: {len(report.created)} created, {len(report.updated)} updated, "
                f"{len(report.revoked)} revoked"
            )
        return 0

    return _with_runtime(settings, work)


def _key_dict(row: db.SigningKey) -> dict[str, Any]:
    return {
        "kid": row.kid,
        "alg": row.alg,
        "active": row.active,
        "created_at": row.created_at.isoformat(),
        "retired_at": row.retired_at.isoformat() if row.retired_at else None,
        "published_until": row.publish_until.isoformat() if row.publish_until else None,
    }


def rotate_keys(settings: Settings, *, as_json: bool) -> int:
    def work(rt: Runtime, authority: Authority, session: Session) -> int:
        rotation = keys.rotate(session, authority.secrets, authority.alg, rt.clock.now(), authority.token_ttl)
        audit.key_rotated(
            session,
            actor=audit.cli_actor(),
            key_id=rotation.active.kid,
            detail={
                "alg": rotation.active.alg,
                "retired": rotation.retired.kid if rotation.retired else None,
            },
        )
        if as_json:
            retired = _key_dict(rotation.retired) if rotation.retired else None
            print(json.dumps({"active": _key_dict(rotation.active), "retired": retired}, indent=2))
            return 0
        console = Console()
        console.print(f"new signing key [bold]{rotation.active.kid}[/bold] ({rotation.active.alg}) is active")
        if rotation.retired is not None and rotation.retired.publish_until is not None:
            console.print(
                f"the previous key {rotation.retired.kid} stays in the JWKS until "
                f"{rotation.retired.publish_until.isoformat()} (its tokens' lifetime)"
            )
        return 0

    return _with_runtime(settings, work)


def list_keys(settings: Settings, *, as_json: bool) -> int:
    def work(rt: Runtime, authority: Authority, session: Session) -> int:
        rows = [_key_dict(r) for r in repo.SigningKeyRepository(session).all()]
        if as_json:
            print(json.dumps(rows, indent=2))
            return 0
        now = rt.clock.now()
        published = {r.kid for r in repo.SigningKeyRepository(session).published(now)}
        table = Table(title=f"{len(rows)} signing keys")
        for column in ("kid", "alg", "state", "created", "published until"):
            table.add_column(column)
        for r in rows:
            state = (
                "[green]active[/green]"
                if r["active"]
                else "retired, published"
                if r["kid"] in published
                else "retired"
            )
            table.add_row(r["kid"], r["alg"], state, r["created_at"], r["published_until"] or "")
        Console().print(table)
        return 0

    return _with_runtime(settings, work)
