"""The gateway's token signing keys: one active key signs, retired keys stay published until the
tokens they signed have expired, then drop out of the JWKS.

    ensure_active(session, secrets, alg, now)       the active key (a first one is made on demand)
    rotate(session, secrets, alg, now, token_ttl)   a new active key; the old one is retired
    jwks(session, now)                              the published JWK Set (public keys only)

A key's `kid` is its RFC 7638 thumbprint. The private JWK is stored sealed (`crypto.ServerSecrets.seal`,
a JWE under the key derived from the master secret); only the signing path opens it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from joserfc import jwk
from sqlalchemy.orm import Session

from gateway.api.oauth.crypto import ServerSecrets
from gateway.store import models as db
from gateway.store import repositories as repo

ALGORITHMS = ("ES256", "RS256")
# Clocks of the gateway's processes and of token consumers may differ a little.
CLOCK_SKEW = dt.timedelta(seconds=60)
RSA_BITS = 2048

SigningJWK = jwk.ECKey | jwk.RSAKey


@dataclass(frozen=True)
class Rotation:
    active: db.SigningKey
    retired: db.SigningKey | None


def generate(alg: str) -> SigningJWK:
    if alg == "ES256":
        return jwk.ECKey.generate_key("P-256", private=True)
    if alg == "RS256":
        return jwk.RSAKey.generate_key(RSA_BITS, private=True)
    raise ValueError(f"signing algorithm {alg!r} is not one of {', '.join(ALGORITHMS)}")


def _insert(session: Session, secrets: ServerSecrets, alg: str, now: dt.datetime) -> db.SigningKey | None:
    key = generate(alg)
    kid = key.thumbprint()
    public = {**key.as_dict(private=False), "kid": kid, "alg": alg, "use": "sig"}
    sealed = secrets.seal(json.dumps(key.as_dict(private=True)).encode("utf-8"))
    return repo.SigningKeyRepository(session).add_active(
        kid=kid, alg=alg, public_jwk=public, private_jwe=sealed, at=now
    )


def ensure_active(session: Session, secrets: ServerSecrets, alg: str, now: dt.datetime) -> db.SigningKey:
    """The active key; the first call on an empty table makes one (a concurrent first call loses
    the race quietly and uses the winner's key)."""
    keys = repo.SigningKeyRepository(session)
    active = keys.active()
    if active is not None:
        return active
    created = _insert(session, secrets, alg, now)
    active = created or keys.active()
    assert active is not None
    return active


def rotate(
    session: Session, secrets: ServerSecrets, alg: str, now: dt.datetime, token_ttl: dt.timedelta
) -> Rotation:
    """Retire the active key (published for `token_ttl` more, plus clock skew) and make a new one."""
    keys = repo.SigningKeyRepository(session)
    previous = keys.active()
    if previous is not None:
        keys.retire(previous, at=now, publish_until=now + token_ttl + CLOCK_SKEW)
    created = _insert(session, secrets, alg, now)
    if created is None:
        raise RuntimeError("another process activated a signing key during the rotation; run it again")
    return Rotation(active=created, retired=previous)


def jwks(session: Session, now: dt.datetime) -> dict[str, Any]:
    return {"keys": [dict(row.public_jwk) for row in repo.SigningKeyRepository(session).published(now)]}


def private_key(row: db.SigningKey, secrets: ServerSecrets) -> SigningJWK:
    data = json.loads(secrets.unseal(row.private_jwe))
    key = jwk.import_key(data)
    assert isinstance(key, jwk.ECKey | jwk.RSAKey)
    return key


def public_key(row: db.SigningKey) -> SigningJWK:
    key = jwk.import_key(dict(row.public_jwk))
    assert isinstance(key, jwk.ECKey | jwk.RSAKey)
    return key


def verification_key(session: Session, kid: str, now: dt.datetime) -> db.SigningKey | None:
    """The key named by a token's `kid`, if it is still published."""
    row = repo.SigningKeyRepository(session).get(kid)
    if row is None or not (row.active or (row.publish_until is not None and row.publish_until > now)):
        return None
    return row
