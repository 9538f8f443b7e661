"""The authorization server's secrets, all derived from one master secret.

- the **pepper** of client secret hashes: a client secret is stored as HMAC-SHA256(pepper, secret).
  The gateway generates every secret itself (256 random bits), so a slow password hash would buy
  nothing against guessing (2^256 tries) while costing tens of milliseconds of CPU on every token
  request, a lever for anyone who can reach the token endpoint. The keyed hash is constant-time to
  compare, and a copy of the database alone is not enough to check a guess: the pepper is not in it.
- the **key encryption key** of the token signing keys: each private key is stored as a JWE
  (`dir`, A256GCM) under it, so the database alone does not hold a usable signing key.

The master secret is `GATEWAY_OAUTH__SECRET_KEY` (at least 32 characters; from a secret store in
production). When it is unset, the embedded default creates 32 random bytes once in
`<data_dir>/oauth-secret.key` (mode 0600) and reuses them. Losing the master secret invalidates
every client secret and signing key (issue new ones: `gateway clients secret`, `gateway keys rotate`).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from gateway.errors import GatewayError
from gateway.settings import Settings

log = logging.getLogger(__name__)

SECRET_FILE = "oauth-secret.key"
MIN_SECRET_CHARS = 32
HASH_PREFIX = "hmac-sha256$"
SECRET_PREFIX = "gws_"  # makes a leaked client secret easy to recognise (secret scanners, logs)


class SecretKeyError(GatewayError):
    """The master secret is missing, too short, or does not open what it sealed."""

    title = "Server secret unusable"
    type = "/problems/server-secret"


@dataclass(frozen=True)
class ServerSecrets:
    pepper: bytes
    key_encryption_key: bytes

    @classmethod
    def from_master(cls, master: bytes) -> ServerSecrets:
        return cls(
            pepper=_derive(master, b"gateway oauth client secret pepper v1"),
            key_encryption_key=_derive(master, b"gateway oauth signing key encryption v1"),
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> ServerSecrets:
        return cls.from_master(master_secret(settings))

    # ---------------------------------------------------------------- client secrets

    def hash_secret(self, secret: str) -> str:
        digest = hmac.new(self.pepper, secret.encode("utf-8"), hashlib.sha256).hexdigest()
        return HASH_PREFIX + digest

    def secret_matches(self, secret: str, stored: str | None) -> bool:
        """Constant-time comparison of a presented secret with the stored hash."""
        if not stored or not stored.startswith(HASH_PREFIX):
            return False
        return hmac.compare_digest(self.hash_secret(secret), stored)

    # ---------------------------------------------------------------- sealed data

    def seal(self, plaintext: bytes) -> str:
        key = OctKey.import_key(self.key_encryption_key)
        return jwe.encrypt_compact({"alg": "dir", "enc": "A256GCM"}, plaintext, key)

    def unseal(self, sealed: str) -> bytes:
        key = OctKey.import_key(self.key_encryption_key)
        try:
            plaintext = jwe.decrypt_compact(sealed, key, algorithms=["dir", "A256GCM"]).plaintext
        except (JoseError, ValueError) as exc:
            raise SecretKeyError(
                "a signing key cannot be decrypted with this master secret (was GATEWAY_OAUTH__SECRET_KEY "
                "changed? run `gateway keys rotate` to make a new key)"
            ) from exc
        assert plaintext is not None
        return plaintext


def new_client_secret() -> str:
    """A fresh client secret: 256 random bits, URL-safe."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def master_secret(settings: Settings) -> bytes:
    """The configured master secret, or the embedded default's file (created on first use)."""
    if settings.oauth.secret_key is not None:
        value = settings.oauth.secret_key.get_secret_value()
        if len(value) < MIN_SECRET_CHARS:
            raise SecretKeyError(
                f"GATEWAY_OAUTH__SECRET_KEY must have at least {MIN_SECRET_CHARS} characters"
            )
        return value.encode("utf-8")
    return _file_secret(settings.data_dir / SECRET_FILE)


def _file_secret(path: Path) -> bytes:
    try:
        value = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        return _create_file_secret(path)
    except ValueError as exc:
        raise SecretKeyError(f"{path} does not hold a hex secret") from exc
    if len(value) < MIN_SECRET_CHARS // 2:
        raise SecretKeyError(f"{path} holds a secret shorter than {MIN_SECRET_CHARS // 2} bytes")
    return value


def _create_file_secret(path: Path) -> bytes:
    """Write a new secret to a private temporary file, then link it into place: the link fails if
    another process got there first (then theirs is used), and nobody ever reads a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_bytes(32)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(value.hex() + "\n")
        try:
            os.link(tmp, path)
        except FileExistsError:
            return _file_secret(path)
    finally:
        tmp.unlink(missing_ok=True)
    log.warning("created the OAuth master secret %s; set GATEWAY_OAUTH__SECRET_KEY in production", path)
    return value


def _derive(master: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)
