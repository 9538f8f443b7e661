"""Settings: one object built at the edge (app, worker, CLI) from `GATEWAY_*` variables.

With nothing set, the gateway runs embedded: SQLite under `./var/`, jobs inline, no Redis.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class BuyerIdentity(BaseModel):
    """Our own identity in the envelopes we write (and expect as receiver)."""

    isa_qualifier: str = "ZZ"
    isa_id: str = "GATEWAYBUYER"
    gs_id: str = "GATEWAYBUYER"
    name: str = "Gateway Manufacturing"
    cxml_domain: str = "NetworkID"  # our cXML From/Sender credential
    cxml_identity: str = "GATEWAYBUYER"
    unb_id: str = "GATEWAYBUYER"  # our UNB S002/S003 identification in EDIFACT
    unb_qualifier: str = "ZZZ"  # its code qualifier (ZZZ mutually defined; 14 for a GLN)


class WebhookSettings(BaseModel):
    """Delivery of outbox events to internal webhook subscribers (Standard Webhooks)."""

    max_attempts: int = 8  # then the delivery is dead
    backoff_base_s: float = 30.0  # first retry after about this long, doubling per attempt
    backoff_max_s: float = 6 * 3600.0
    timeout_s: float = 10.0
    batch: int = 100  # deliveries per sweep
    jitter_seed: int | None = None  # a fixed seed makes the retry jitter reproducible (tests)


class JobSettings(BaseModel):
    """Background jobs: retries with backoff, dead letters, and the recovery sweep."""

    max_attempts: int = 5  # then the item is dead-lettered
    backoff_base_s: float = 10.0  # first retry after about this long, doubling per attempt
    backoff_max_s: float = 3600.0
    stuck_after_s: float = 300.0  # an item still waiting this long after it was due is queued again
    sweep_batch: int = 500  # items queued again per sweep
    jitter_seed: int | None = None  # a fixed seed makes the retry jitter reproducible (tests)


class OAuthSettings(BaseModel):
    """The authorization server (`/oauth/token`) and the access tokens it signs."""

    issuer: str | None = None  # default: http://{host}:{port}; behind TLS set the public https URL
    access_token_ttl_s: int = Field(default=3600, gt=0, le=24 * 3600)
    signing_alg: Literal["ES256", "RS256"] = "ES256"
    # The master secret: client secret hashes (HMAC pepper) and the signing keys' encryption at rest
    # derive from it. Unset: a random one is created once in `<data_dir>/oauth-secret.key` (0600).
    secret_key: SecretStr | None = None


class ApiSettings(BaseModel):
    """HTTP hygiene: body size limit, per-client rate limits, CORS (off unless origins are listed)."""

    max_body_bytes: int = Field(default=5 * 1024 * 1024, gt=0)
    rate_limit_per_minute: int = Field(default=600, gt=0)  # per client; a partner file may override
    rate_limit_burst: int = Field(default=60, gt=0)  # requests allowed at once before pacing starts
    rate_limit_prefix: str = "gateway:ratelimit"  # Redis key prefix (when GATEWAY_REDIS_URL is set)
    cors_origins: list[str] = []  # e.g. ["https://portal.example.com"]; empty: no CORS headers at all


class AS2Identity(BaseModel):
    """Our own AS2 identity. `key` and `key_password` are secret REFERENCES (`env:NAME` or
    `file:PATH`, a relative path from the working directory), never the secret itself."""

    as2_id: str = "GATEWAYBUYER"
    key: str | None = None  # our private key (PEM), optionally followed by our certificate
    key_password: str | None = None  # when the PEM key is encrypted
    certificate: Path | None = None  # our public certificate (PEM), when the key file holds none
    domain: str = "gateway.invalid"  # the right-hand side of the Message-IDs we write
    mdn_url: str | None = None  # where partners post asynchronous MDNs (our public `/as2` URL)
    timeout_s: float = 60.0
    max_attempts: int = 6  # sends (and asynchronous MDN posts) before giving up
    retry_base_s: float = 60.0  # first retry after this long, doubling per attempt


class FileDropSettings(BaseModel):
    """Pick-up from the partners' file-drop inboxes."""

    settle_s: float = 5.0  # a file changed more recently than this is still being written: left alone
    stale_claim_s: float = 900.0  # a pick-up claimed by a process on another host this long ago is retaken
    interval_s: float = 10.0  # `gateway channels run` without --once: seconds between sweeps


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", env_nested_delimiter="__", extra="ignore")

    data_dir: Path = Path("var")
    database_url: str | None = None  # default: sqlite under data_dir
    redis_url: str | None = None  # unset: jobs run inline
    partners_dir: Path = Path("partners")
    maps_dir: Path = Path("edi_maps")
    samples_dir: Path = Path("samples")  # the demo's ERP orders and supplier documents
    buyer: BuyerIdentity = BuyerIdentity()
    host: str = "127.0.0.1"
    port: int = 8000
    log_json: bool = False
    subscribers_file: Path | None = None  # webhook subscribers (YAML); unset: no webhooks
    webhooks: WebhookSettings = WebhookSettings()
    reconcile_snapshot: Path | None = None  # ERP snapshot of PO lines the reconcile cron job reads
    jobs: JobSettings = JobSettings()
    tracing: str = "none"  # "otlp" (OTEL_EXPORTER_OTLP_* variables) or "console"; needs the otel extra
    metrics_port: int | None = None  # `gateway worker` serves /metrics on this port when set
    oauth: OAuthSettings = OAuthSettings()
    api: ApiSettings = ApiSettings()

    @property
    def effective_issuer(self) -> str:
        """The OAuth issuer (and token audience): `oauth.issuer`, or this process's own address."""
        return (self.oauth.issuer or f"http://{self.host}:{self.port}").rstrip("/")

    as2: AS2Identity = AS2Identity()
    filedrop: FileDropSettings = FileDropSettings()

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'gateway.db').as_posix()}"
