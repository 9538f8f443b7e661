"""Access tokens: JWTs in the RFC 9068 profile, signed by the gateway with joserfc.

Header `{"typ": "at+jwt", "alg": "ES256" (or RS256), "kid": <thumbprint>}`; claims `iss`, `aud`
(the gateway), `sub` and `client_id` (the client: no resource owner in client credentials), `iat`,
`exp`, `jti`, `scope`, and the owner: `partner_id` for a supplier's client or `role` for an internal
one. Every issued token has a row (by `jti`) so it can be introspected and revoked.

`verify` is what every protected request runs: signature by a published key, the claims, and the
token's and client's rows (neither revoked). Any failure is an `AuthError` saying what was wrong.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import JoseError
from sqlalchemy.orm import Session

from gateway.api.oauth import keys
from gateway.api.oauth import scopes as scope_catalogue
from gateway.api.oauth.authority import Authority
from gateway.errors import AuthError
from gateway.store import models as db
from gateway.store import repositories as repo

TOKEN_TYPE = "at+jwt"
LEEWAY_S = 30


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    jti: str
    scope: str
    expires_in: int


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of a request: a client, its owner and its granted scopes."""

    client_id: str
    partner_id: str | None
    role: str | None
    scopes: frozenset[str]
    jti: str
    expires_at: dt.datetime
    rate_limit_per_minute: int | None = None

    @property
    def is_supplier(self) -> bool:
        return self.partner_id is not None


def issue(
    session: Session, authority: Authority, client: db.OAuthClient, scope: tuple[str, ...], now: dt.datetime
) -> IssuedToken:
    """Sign an access token for `client` with the active key and record it."""
    key_row = keys.ensure_active(session, authority.secrets, authority.alg, now)
    key = keys.private_key(key_row, authority.secrets)
    issued_at = now.replace(microsecond=0)
    expires_at = issued_at + authority.token_ttl
    jti = secrets.token_urlsafe(24)
    rendered = scope_catalogue.render(scope)
    claims: dict[str, Any] = {
        "iss": authority.issuer,
        "sub": client.client_id,
        "aud": authority.audience,
        "client_id": client.client_id,
        "iat": int(issued_at.timestamp()),
        "exp": int(expires_at.timestamp()),
        "jti": jti,
        "scope": rendered,
    }
    if client.partner_id is not None:
        claims["partner_id"] = client.partner_id
    if client.role is not None:
        claims["role"] = client.role
    header = {"typ": TOKEN_TYPE, "alg": key_row.alg, "kid": key_row.kid}
    token = jwt.encode(header, claims, key, algorithms=[key_row.alg])
    repo.OAuthTokenRepository(session).add(
        jti=jti,
        client_id=client.client_id,
        scope=rendered,
        kid=key_row.kid,
        issued_at=issued_at,
        expires_at=expires_at,
    )
    return IssuedToken(
        access_token=token, jti=jti, scope=rendered, expires_in=int(authority.token_ttl.total_seconds())
    )


def decode(
    session: Session, authority: Authority, token: str, now: dt.datetime, *, check_expiry: bool = True
) -> dict[str, Any]:
    """The claims of a token this gateway signed, checked (signature, `typ`, `iss`, `aud`, and
    `exp`/`iat` unless `check_expiry` is off: introspection reports an expired token as inactive)."""
    try:
        header = jws.extract_compact(token.encode("ascii")).headers()
    except (JoseError, ValueError, UnicodeError):
        raise AuthError("the access token is not a JWT") from None
    if header.get("typ") != TOKEN_TYPE:
        raise AuthError(f"the access token's typ is not {TOKEN_TYPE}")
    kid = header.get("kid")
    row = keys.verification_key(session, kid, now) if isinstance(kid, str) else None
    if row is None or header.get("alg") != row.alg:
        raise AuthError("the access token is not signed by a current key of this gateway")
    try:
        claims = jwt.decode(token, keys.public_key(row), algorithms=[row.alg]).claims
    except (JoseError, ValueError):
        raise AuthError("the access token's signature does not verify") from None
    options: dict[str, Any] = {
        "iss": {"essential": True, "value": authority.issuer},
        "aud": {"essential": True, "value": authority.audience},
        "jti": {"essential": True},
        "client_id": {"essential": True},
        "sub": {"essential": True},
        "exp": {"essential": True},
        "iat": {"essential": True},
    }
    if not check_expiry:
        options.pop("exp")
        options.pop("iat")
    registry = jwt.JWTClaimsRegistry(now=int(now.timestamp()), leeway=LEEWAY_S, **options)
    try:
        registry.validate(claims)
    except JoseError as exc:
        raise AuthError(f"the access token is not valid: {exc.description or exc.error}") from None
    return claims


def verify(session: Session, authority: Authority, token: str, now: dt.datetime) -> Principal:
    """The caller behind a bearer token, or `AuthError`."""
    claims = decode(session, authority, token, now)
    found = repo.OAuthTokenRepository(session).with_client(str(claims["jti"]))
    if found is None:
        raise AuthError("the access token was not issued by this gateway")
    row, client = found
    if row.revoked_at is not None or client.revoked_at is not None:
        raise AuthError("the access token has been revoked")
    if row.client_id != claims["client_id"]:
        raise AuthError("the access token does not match its record")
    return Principal(
        client_id=client.client_id,
        partner_id=client.partner_id,
        role=client.role,
        scopes=frozenset(scope_catalogue.parse(row.scope)),
        jti=row.jti,
        expires_at=row.expires_at,
        rate_limit_per_minute=client.rate_limit_per_minute,
    )
