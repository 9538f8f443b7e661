"""Registering OAuth clients and their secrets, from partner files and from the admin CLI.

    sync_from_partners(session, partners, now)   partner files' `api.clients` into the database
    create(session, authority, partners, ...)    an admin's new client (its secret returned ONCE)
    issue_secret(session, authority, client_id)  a new secret for a client_secret_* client (ONCE)
    revoke(session, client_id, now)              the client and every token it holds

A client is bound to exactly one partner or one internal role, and holds only scopes that owner may
have. A secret is generated here (`crypto.new_client_secret`), shown to the caller once, and stored
only as its keyed hash.
"""

from __future__ import annotations

import datetime as dt
import secrets as pysecrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from joserfc.errors import JoseError
from joserfc.jwk import KeySet, KeySetSerialization
from sqlalchemy.orm import Session

from gateway.api.oauth import scopes as scope_catalogue
from gateway.api.oauth.authority import Authority
from gateway.api.oauth.crypto import new_client_secret
from gateway.errors import ConflictError, GatewayError
from gateway.partners.model import ClientAuthMethod
from gateway.partners.registry import PartnerRegistry
from gateway.store import models as db
from gateway.store import repositories as repo

SOURCE_CONFIG = "config"
SOURCE_CLI = "cli"
SECRET_METHODS = frozenset({ClientAuthMethod.CLIENT_SECRET_BASIC, ClientAuthMethod.CLIENT_SECRET_POST})


class ClientSetupError(GatewayError):
    """A client that cannot be created as asked (owner, scopes, keys)."""

    status = 422
    type = "/problems/client-setup"
    title = "Invalid client"


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)


def _jwks(keys: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Public JWKs as a key set, checked by importing them."""
    data = {"keys": [dict(k) for k in keys]}
    try:
        imported = KeySet.import_key_set(cast(KeySetSerialization, data))
    except (JoseError, ValueError, TypeError) as exc:
        raise ClientSetupError(f"a key in jwks cannot be read: {exc}") from None
    if any(key.is_private for key in imported.keys):
        raise ClientSetupError("jwks holds a private key: give the PUBLIC key only")
    return data


def _check_scopes(wanted: Sequence[str], *, partner_id: str | None, role: str | None) -> list[str]:
    allowed = scope_catalogue.allowed_for(partner_id=partner_id, role=role)
    refused = sorted(set(wanted) - allowed)
    if refused:
        owner = f"partner {partner_id}" if partner_id else f"role {role}"
        raise ClientSetupError(f"a client of {owner} cannot hold {', '.join(refused)}", scopes=refused)
    return sorted(set(wanted))


def sync_from_partners(session: Session, partners: PartnerRegistry, now: dt.datetime) -> SyncReport:
    """Make the database's config clients what the partner files say: new ones are added (without a
    secret: issue one with `gateway clients secret`), changed ones updated (scopes, method, keys,
    rate limit; the secret is kept), ones no longer in any file revoked."""
    clients = repo.OAuthClientRepository(session)
    report = SyncReport()
    declared: set[str] = set()
    for partner in partners:
        if partner.api is None:
            continue
        for spec in partner.api.clients:
            declared.add(spec.client_id)
            fields = {
                "name": spec.name or f"{partner.name} ({spec.client_id})",
                "partner_id": partner.id,
                "role": None,
                "scopes": sorted(str(s) for s in spec.scopes),
                "auth_method": str(spec.auth_method),
                "jwks": _jwks(spec.jwks) if spec.jwks else None,
                "rate_limit_per_minute": partner.api.rate_limit_per_minute,
            }
            row = clients.get(spec.client_id)
            if row is None:
                try:
                    clients.add(client_id=spec.client_id, source=SOURCE_CONFIG, at=now, **fields)  # type: ignore[arg-type]
                except ConflictError:  # another process synced it first
                    row = clients.require(spec.client_id)
                else:
                    report.created.append(spec.client_id)
                    continue
            if row.source != SOURCE_CONFIG or row.partner_id != partner.id:
                raise ClientSetupError(
                    f"client id {spec.client_id} of partner {partner.id} is already used by another client"
                )
            changed = [name for name, value in fields.items() if getattr(row, name) != value]
            for name in changed:
                setattr(row, name, fields[name])
            if changed:
                row.updated_at = now
                report.updated.append(spec.client_id)
    for row in clients.list(include_revoked=False):
        if row.source == SOURCE_CONFIG and row.client_id not in declared:
            clients.revoke(row.client_id, at=now)
            report.revoked.append(row.client_id)
    session.flush()
    return report


def create(
    session: Session,
    authority: Authority,
    partners: PartnerRegistry,
    *,
    partner_id: str | None = None,
    role: str | None = None,
    scopes: Sequence[str] | None = None,
    auth_method: ClientAuthMethod = ClientAuthMethod.CLIENT_SECRET_BASIC,
    jwks: Sequence[dict[str, Any]] = (),
    client_id: str | None = None,
    name: str | None = None,
    now: dt.datetime,
) -> tuple[db.OAuthClient, str | None]:
    """A new client; returns it and its secret (None for private_key_jwt). Shown once, never stored."""
    if (partner_id is None) == (role is None):
        raise ClientSetupError("a client belongs to exactly one partner or one internal role")
    if partner_id is not None:
        partners.get(partner_id)  # UnknownPartnerError for a partner no file names
    if role is not None and role not in set(scope_catalogue.Role):
        raise ClientSetupError(f"unknown role {role!r} (one of {', '.join(scope_catalogue.Role)})", role=role)
    owner = partner_id or role
    assert owner is not None
    granted = _check_scopes(
        scopes
        if scopes is not None
        else sorted(scope_catalogue.allowed_for(partner_id=partner_id, role=role)),
        partner_id=partner_id,
        role=role,
    )
    if not granted:
        raise ClientSetupError("a client needs at least one scope")
    if auth_method is ClientAuthMethod.PRIVATE_KEY_JWT and not jwks:
        raise ClientSetupError("private_key_jwt needs the client's public key (jwks)")
    if auth_method is not ClientAuthMethod.PRIVATE_KEY_JWT and jwks:
        raise ClientSetupError(f"jwks is only used by private_key_jwt, not {auth_method}")
    secret = new_client_secret() if auth_method in SECRET_METHODS else None
    row = repo.OAuthClientRepository(session).add(
        client_id=client_id or f"{owner}-{pysecrets.token_hex(4)}",
        name=name or owner,
        partner_id=partner_id,
        role=role,
        scopes=granted,
        auth_method=str(auth_method),
        secret_hash=authority.secrets.hash_secret(secret) if secret is not None else None,
        jwks=_jwks(jwks) if jwks else None,
        source=SOURCE_CLI,
        rate_limit_per_minute=_partner_rate(partners, partner_id),
        at=now,
    )
    return row, secret


def _partner_rate(partners: PartnerRegistry, partner_id: str | None) -> int | None:
    api = partners.get(partner_id).api if partner_id is not None else None
    return api.rate_limit_per_minute if api is not None else None


def issue_secret(session: Session, authority: Authority, client_id: str, now: dt.datetime) -> str:
    """A new secret for a client_secret_basic/post client, replacing its old one (tokens already
    issued stay valid until they expire or are revoked)."""
    clients = repo.OAuthClientRepository(session)
    row = clients.require(client_id)
    if row.revoked_at is not None:
        raise ClientSetupError(f"client {client_id} is revoked")
    if row.auth_method not in SECRET_METHODS:
        raise ClientSetupError(f"client {client_id} authenticates with {row.auth_method}: it has no secret")
    secret = new_client_secret()
    clients.set_secret_hash(client_id, authority.secrets.hash_secret(secret), at=now)
    return secret


def revoke(session: Session, client_id: str, now: dt.datetime) -> db.OAuthClient:
    return repo.OAuthClientRepository(session).revoke(client_id, at=now)
