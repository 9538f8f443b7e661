"""The authorization server's tables: clients, the access tokens issued to them, the keys that sign
those tokens, and the client assertions already used (RFC 7523 replay protection).

- `oauth_client`: bound to exactly one partner or one internal role (a check constraint says so).
  The secret is kept only as an HMAC-SHA256 under the server's pepper (`secret_hash`), never plain.
- `oauth_token`: one row per issued JWT access token, by its `jti`: what introspection and
  revocation work on. The JWT itself is not stored.
- `signing_key`: the gateway's token signing keys. The private key is stored encrypted (a JWE under
  a key derived from the server's master secret); the public JWK is published in the JWKS. At most
  one key is `active` (a partial unique index); a retired key stays published until the tokens it
  signed have expired.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.base import Base, JSONType, UTCDateTime


class OAuthClient(Base):
    __tablename__ = "oauth_client"
    __table_args__ = (CheckConstraint("(partner_id IS NULL) <> (role IS NULL)", name="one_owner"),)

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    partner_id: Mapped[str | None] = mapped_column(String(64), index=True)
    role: Mapped[str | None] = mapped_column(String(32))
    scopes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    auth_method: Mapped[str] = mapped_column(String(32))
    secret_hash: Mapped[str | None] = mapped_column(String(128))
    jwks: Mapped[dict[str, Any] | None] = mapped_column(JSONType)  # public keys for private_key_jwt
    source: Mapped[str] = mapped_column(String(16))  # "config" (a partner file) or "cli"
    rate_limit_per_minute: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class OAuthToken(Base):
    __tablename__ = "oauth_token"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_client.client_id"), index=True)
    scope: Mapped[str] = mapped_column(Text)
    kid: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


ACTIVE_KEY = text("active")


class SigningKey(Base):
    __tablename__ = "signing_key"
    __table_args__ = (
        Index(
            "uq_signing_key_active",
            "active",
            unique=True,
            sqlite_where=ACTIVE_KEY,
            postgresql_where=ACTIVE_KEY,
        ),
    )

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    alg: Mapped[str] = mapped_column(String(16))
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSONType)
    private_jwe: Mapped[str] = mapped_column(Text)  # the private JWK, encrypted (JWE compact, dir + A256GCM)
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Published in the JWKS until then: retirement plus the longest token lifetime.
    publish_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class ClientAssertion(Base):
    """A `private_key_jwt` assertion already used: the same `jti` again is refused until it expires."""

    __tablename__ = "oauth_client_assertion"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    jti: Mapped[str] = mapped_column(String(255), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
