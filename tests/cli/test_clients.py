"""`gateway clients ...` and `gateway keys ...` on the embedded default (SQLite under a tmp data dir)."""

from __future__ import annotations

import json
from pathlib import Path

from joserfc.jwk import ECKey
from typer.testing import CliRunner

from gateway.settings import Settings
from gateway.store import repositories as repo
from gateway.store.session import make_engine, make_sessionmaker, session_scope
from tests.cli.runner import invoke


def stored_hash(tmp_path: Path, client_id: str) -> str | None:
    engine = make_engine(Settings(data_dir=tmp_path / "var").effective_database_url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            return repo.OAuthClientRepository(session).require(client_id).secret_hash
    finally:
        engine.dispose()


def test_create_prints_the_secret_once_and_list_never_shows_it(cli: CliRunner, tmp_path: Path) -> None:
    created = invoke(
        cli, "clients", "create", "--partner", "acme-fasteners", "--scope", "orders:read", "--json"
    )

    assert created.exit_code == 0, created.stderr
    client = json.loads(created.stdout)
    assert client["partner_id"] == "acme-fasteners"
    assert client["scopes"] == ["orders:read"]
    secret = client["client_secret"]
    assert secret.startswith("gws_")
    listed = invoke(cli, "clients", "list", "--json")
    assert listed.exit_code == 0, listed.stderr
    assert secret not in listed.stdout
    assert client["client_id"] in {c["client_id"] for c in json.loads(listed.stdout)}
    assert stored_hash(tmp_path, client["client_id"]) not in (None, secret)
    table = invoke(cli, "clients", "list")
    assert client["client_id"] in table.stdout


def test_create_refuses_a_scope_the_owner_may_not_hold_and_an_unknown_partner(cli: CliRunner) -> None:
    internal_scope = invoke(
        cli, "clients", "create", "--partner", "acme-fasteners", "--scope", "procurement:read"
    )
    assert internal_scope.exit_code == 2
    assert "cannot hold procurement:read" in internal_scope.stderr
    unknown = invoke(cli, "clients", "create", "--partner", "nobody")
    assert unknown.exit_code == 2
    both = invoke(cli, "clients", "create", "--partner", "acme-fasteners", "--role", "erp")
    assert both.exit_code == 2
    assert "exactly one partner or one internal role" in both.stderr


def test_a_private_key_jwt_client_takes_a_public_jwk_and_refuses_a_private_one(
    cli: CliRunner,
    tmp_path: Path,
) -> None:
    key = ECKey.generate_key("P-256", private=True)
    public, private = tmp_path / "public.json", tmp_path / "private.json"
    public.write_text(json.dumps(key.as_dict(private=False)), encoding="utf-8")
    private.write_text(json.dumps(key.as_dict(private=True)), encoding="utf-8")
    args = ["clients", "create", "--role", "erp", "--auth-method", "private_key_jwt", "--json", "--jwk-file"]

    created = invoke(cli, *args, str(public))
    refused = invoke(cli, *args, str(private))

    assert created.exit_code == 0, created.stderr
    assert json.loads(created.stdout)["client_secret"] is None
    assert refused.exit_code == 2
    assert "private key" in refused.stderr


def test_secret_rotates_and_revoke_ends_the_client(cli: CliRunner, tmp_path: Path) -> None:
    client_id = json.loads(invoke(cli, "clients", "create", "--role", "integration", "--json").stdout)[
        "client_id"
    ]
    before = stored_hash(tmp_path, client_id)

    rotated = invoke(cli, "clients", "secret", client_id)
    revoked = invoke(cli, "clients", "revoke", client_id, "--json")

    assert rotated.exit_code == 0, rotated.stderr
    assert "shown once" in rotated.stdout
    assert stored_hash(tmp_path, client_id) != before
    assert revoked.exit_code == 0, revoked.stderr
    assert json.loads(revoked.stdout)["revoked_at"] is not None
    assert invoke(cli, "clients", "secret", client_id).exit_code == 2


def test_keys_rotate_keeps_the_previous_key_published(cli: CliRunner) -> None:
    first = json.loads(invoke(cli, "keys", "rotate", "--json").stdout)
    second = invoke(cli, "keys", "rotate")

    assert first["retired"] is None
    assert second.exit_code == 0, second.stderr
    assert f"the previous key {first['active']['kid']} stays in the JWKS until" in second.stdout
    listed = json.loads(invoke(cli, "keys", "list", "--json").stdout)
    assert [k["active"] for k in listed] == [True, False]
    assert listed[1]["kid"] == first["active"]["kid"]
    assert listed[1]["published_until"] is not None
    assert "retired, published" in invoke(cli, "keys", "list").stdout
