"""Webhooks out: internal subscribers from a YAML file, Standard Webhooks signing, one POST.

Standard Webhooks (https://www.standardwebhooks.com, see EDI_REFERENCE "AS2, MDN and webhooks"):

- headers `webhook-id` (the same on every retry: receivers de-duplicate on it), `webhook-timestamp`
  (Unix seconds) and `webhook-signature` (space-separated `v1,<base64>`);
- signature = base64(HMAC-SHA256(key, f"{id}.{timestamp}.{body}")), the key being the secret's
  `whsec_` prefix stripped and the rest base64-decoded.

The subscribers file names each secret by REFERENCE (`env:NAME` or `file:PATH`, a relative path
being relative to the subscribers file), never the secret itself:

    subscribers:
      - id: planning-board
        url: http://planning.internal/hooks/gateway
        events: ["exception.*", "commitment.recorded"]   # fnmatch globs; default: every event
        secret: env:GATEWAY_WEBHOOK_PLANNING_SECRET
        start: latest        # a new subscriber gets events from now on (or `earliest`: the whole feed)

`WebhookSender.send` makes one attempt through an `httpx` client; pass `transport=` (for example
`httpx.MockTransport`) to replace the network in tests.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import hashlib
import hmac
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx
import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretBytes, ValidationError, field_validator

from gateway.errors import DeliveryError
from gateway.kit import yamlio

SECRET_PREFIX = "whsec_"  # noqa: S105  (the format's prefix, not a secret)
SIGNATURE_VERSION = "v1"


class SubscriberConfigError(DeliveryError):
    """The subscribers file or a secret it references is missing or invalid (never retryable)."""

    type = "/problems/webhook-subscribers-invalid"
    title = "Webhook subscribers are misconfigured"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, retryable=False)


class Subscriber(BaseModel):
    """One internal subscriber as declared in the subscribers file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    url: str
    events: tuple[str, ...] = ("*",)
    secret: str  # a reference: env:NAME or file:PATH
    start: Literal["earliest", "latest"] = "latest"
    enabled: bool = True

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if httpx.URL(value).scheme not in ("http", "https"):
            raise ValueError("url must be http:// or https://")
        return value

    @field_validator("secret")
    @classmethod
    def _reference(cls, value: str) -> str:
        if value.startswith(SECRET_PREFIX):
            raise ValueError("secret must reference the secret (env:NAME or file:PATH), not contain it")
        if not value.startswith(("env:", "file:")) or len(value) < 5:
            raise ValueError("secret must read env:NAME or file:PATH")
        return value

    def wants(self, event_type: str) -> bool:
        return any(fnmatch.fnmatchcase(event_type, pattern) for pattern in self.events)


class _SubscribersFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subscribers: list[Subscriber] = Field(default_factory=list)


@dataclass(frozen=True)
class ResolvedSubscriber:
    """A subscriber with its signing key looked up (the decoded bytes of the `whsec_` secret)."""

    config: Subscriber
    key: SecretBytes

    @property
    def id(self) -> str:
        return self.config.id


def load_subscribers(path: Path) -> list[ResolvedSubscriber]:
    """The enabled subscribers of `path` with their keys; raises `SubscriberConfigError`."""
    try:
        raw: Any = yamlio.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SubscriberConfigError(f"subscribers file {path}: {exc}") from exc
    try:
        parsed = _SubscribersFile.model_validate(raw if raw is not None else {})
    except ValidationError as exc:
        raise SubscriberConfigError(f"subscribers file {path}: {exc}") from exc
    seen: set[str] = set()
    out: list[ResolvedSubscriber] = []
    for sub in parsed.subscribers:
        if sub.id in seen:
            raise SubscriberConfigError(f"subscribers file {path}: subscriber {sub.id!r} is declared twice")
        seen.add(sub.id)
        if sub.enabled:
            out.append(ResolvedSubscriber(sub, SecretBytes(decode_secret(read_secret(sub, path.parent)))))
    return out


def read_secret(sub: Subscriber, base_dir: Path) -> str:
    kind, _, name = sub.secret.partition(":")
    if kind == "env":
        value = os.environ.get(name)
        if not value:
            raise SubscriberConfigError(f"subscriber {sub.id}: environment variable {name} is not set")
        return value.strip()
    path = Path(name) if Path(name).is_absolute() else base_dir / name
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SubscriberConfigError(f"subscriber {sub.id}: secret file: {exc}") from exc


def decode_secret(secret: str) -> bytes:
    """The HMAC key of a `whsec_<base64>` secret."""
    if not secret.startswith(SECRET_PREFIX):
        raise SubscriberConfigError("a webhook secret reads whsec_<base64>")
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SubscriberConfigError("the webhook secret is not valid base64") from exc
    if len(key) < 16:
        raise SubscriberConfigError("the webhook secret is shorter than 16 bytes")
    return key


def sign(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value: `v1,<base64 HMAC-SHA256 of id.timestamp.body>`."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode()}"


def signed_headers(key: bytes, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(key, message_id, timestamp, body),
    }


@dataclass(frozen=True)
class AttemptResult:
    """What one POST gave: a status code (None when no answer came) and an error text for failures."""

    status_code: int | None
    duration_ms: int
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None


MAX_ERROR_CHARS = 500


class WebhookSender:
    """Signs and POSTs events; one `httpx.Client` for its lifetime (`close()` it)."""

    def __init__(self, *, timeout_s: float = 10.0, transport: httpx.BaseTransport | None = None) -> None:
        self._client = httpx.Client(timeout=timeout_s, transport=transport, follow_redirects=False)

    def send(
        self, subscriber: ResolvedSubscriber, message_id: str, timestamp: int, body: bytes
    ) -> AttemptResult:
        headers = signed_headers(subscriber.key.get_secret_value(), message_id, timestamp, body)
        started = time.perf_counter()
        try:
            response = self._client.post(subscriber.config.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return AttemptResult(None, _ms(started), f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS])
        duration = _ms(started)
        if response.is_success:
            return AttemptResult(response.status_code, duration, None)
        detail = response.text[:200].strip()
        error = f"HTTP {response.status_code}" + (f": {detail}" if detail else "")
        return AttemptResult(response.status_code, duration, error[:MAX_ERROR_CHARS])

    def close(self) -> None:
        self._client.close()


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
