"""The authorization server's queries: clients, issued tokens, signing keys, used client assertions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from gateway.errors import ConflictError, NotFoundError
from gateway.store import models as db
from gateway.store.repositories.base import Repository


class OAuthClientRepository(Repository):
    def get(self, client_id: str) -> db.OAuthClient | None:
        return self.session.get(db.OAuthClient, client_id)

    def require(self, client_id: str) -> db.OAuthClient:
        row = self.get(client_id)
        if row is None:
            raise NotFoundError(f"client {client_id} does not exist", client_id=client_id)
        return row

    def add(
        self,
        *,
        client_id: str,
        name: str,
        partner_id: str | None,
        role: str | None,
        scopes: Sequence[str],
        auth_method: str,
        source: str,
        secret_hash: str | None = None,
        jwks: dict[str, Any] | None = None,
        rate_limit_per_minute: int | None = None,
        at: dt.datetime | None = None,
    ) -> db.OAuthClient:
        """A new client; an existing client id is a `ConflictError`."""
        now = self._now(at)
        row = db.OAuthClient(
            client_id=client_id,
            name=name,
            partner_id=partner_id,
            role=role,
            scopes=sorted(scopes),
            auth_method=auth_method,
            secret_hash=secret_hash,
            jwks=jwks,
            source=source,
            rate_limit_per_minute=rate_limit_per_minute,
            created_at=now,
            updated_at=now,
        )
        try:
            with self.session.begin_nested():
                self.session.add(row)
                self.session.flush()
        except IntegrityError:
            raise ConflictError(f"client {client_id} already exists", client_id=client_id) from None
        return row

    def list(
        self, *, partner_id: str | None = None, include_revoked: bool = True
    ) -> Sequence[db.OAuthClient]:
        query = select(db.OAuthClient).order_by(db.OAuthClient.client_id)
        if partner_id is not None:
            query = query.where(db.OAuthClient.partner_id == partner_id)
        if not include_revoked:
            query = query.where(db.OAuthClient.revoked_at.is_(None))
        return self.session.scalars(query).all()

    def set_secret_hash(self, client_id: str, secret_hash: str, *, at: dt.datetime | None = None) -> None:
        row = self.require(client_id)
        row.secret_hash = secret_hash
        row.updated_at = self._now(at)
        self.session.flush()

    def revoke(self, client_id: str, *, at: dt.datetime | None = None) -> db.OAuthClient:
        """Revoke the client and every token it holds (introspection says inactive from now on)."""
        now = self._now(at)
        row = self.require(client_id)
        if row.revoked_at is None:
            row.revoked_at = now
            row.updated_at = now
        self.session.execute(
            update(db.OAuthToken)
            .where(db.OAuthToken.client_id == client_id, db.OAuthToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        self.session.flush()
        return row


class OAuthTokenRepository(Repository):
    def add(
        self,
        *,
        jti: str,
        client_id: str,
        scope: str,
        kid: str,
        issued_at: dt.datetime,
        expires_at: dt.datetime,
    ) -> db.OAuthToken:
        row = db.OAuthToken(
            jti=jti, client_id=client_id, scope=scope, kid=kid, issued_at=issued_at, expires_at=expires_at
        )
        self.session.add(row)
        self.session.flush()
        return row

    def get(self, jti: str) -> db.OAuthToken | None:
        return self.session.get(db.OAuthToken, jti)

    def with_client(self, jti: str) -> tuple[db.OAuthToken, db.OAuthClient] | None:
        """The token and its client in one query (the check every authenticated request makes)."""
        query = (
            select(db.OAuthToken, db.OAuthClient)
            .join(db.OAuthClient, db.OAuthClient.client_id == db.OAuthToken.client_id)
            .where(db.OAuthToken.jti == jti)
        )
        found = self.session.execute(query).one_or_none()
        return None if found is None else (found[0], found[1])

    def revoke(self, jti: str, *, at: dt.datetime | None = None) -> None:
        row = self.get(jti)
        if row is not None and row.revoked_at is None:
            row.revoked_at = self._now(at)
            self.session.flush()


class SigningKeyRepository(Repository):
    def active(self) -> db.SigningKey | None:
        return self.session.scalars(select(db.SigningKey).where(db.SigningKey.active.is_(True))).one_or_none()

    def get(self, kid: str) -> db.SigningKey | None:
        return self.session.get(db.SigningKey, kid)

    def published(self, now: dt.datetime) -> Sequence[db.SigningKey]:
        """The active key and the retired ones whose tokens may still be in use, newest first."""
        query = (
            select(db.SigningKey)
            .where(or_(db.SigningKey.active.is_(True), db.SigningKey.publish_until > now))
            .order_by(db.SigningKey.created_at.desc(), db.SigningKey.kid)
        )
        return self.session.scalars(query).all()

    def all(self) -> Sequence[db.SigningKey]:
        query = select(db.SigningKey).order_by(db.SigningKey.created_at.desc(), db.SigningKey.kid)
        return self.session.scalars(query).all()

    def add_active(
        self, *, kid: str, alg: str, public_jwk: dict[str, Any], private_jwe: str, at: dt.datetime
    ) -> db.SigningKey | None:
        """Insert a new active key; None when another writer's active key won the race (the partial
        unique index allows one)."""
        row = db.SigningKey(
            kid=kid, alg=alg, public_jwk=public_jwk, private_jwe=private_jwe, active=True, created_at=at
        )
        try:
            with self.session.begin_nested():
                self.session.add(row)
                self.session.flush()
        except IntegrityError:
            return None
        return row

    def retire(self, row: db.SigningKey, *, at: dt.datetime, publish_until: dt.datetime) -> None:
        row.active = False
        row.retired_at = at
        row.publish_until = publish_until
        self.session.flush()


class ClientAssertionRepository(Repository):
    def use(self, client_id: str, jti: str, *, expires_at: dt.datetime, now: dt.datetime) -> bool:
        """Record an RFC 7523 assertion id; False when the client used it before (a replay).
        Ids of expired assertions are pruned first: they cannot be replayed anyway."""
        self.session.execute(delete(db.ClientAssertion).where(db.ClientAssertion.expires_at < now))
        try:
            with self.session.begin_nested():
                self.session.add(db.ClientAssertion(client_id=client_id, jti=jti, expires_at=expires_at))
                self.session.flush()
        except IntegrityError:
            return False
        return True
