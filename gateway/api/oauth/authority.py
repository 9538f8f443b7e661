"""The authorization server's settings as the code needs them, built once from `Settings`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from gateway.api.oauth.crypto import ServerSecrets
from gateway.settings import Settings

TOKEN_PATH = "/oauth/token"
INTROSPECTION_PATH = "/oauth/introspect"
REVOCATION_PATH = "/oauth/revoke"
JWKS_PATH = "/.well-known/jwks.json"
METADATA_PATH = "/.well-known/oauth-authorization-server"


@dataclass(frozen=True)
class Authority:
    issuer: str  # also the `aud` of the access tokens: the gateway is its own resource server
    token_ttl: dt.timedelta
    alg: str
    secrets: ServerSecrets
    default_rate_per_minute: int
    default_burst: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Authority:
        return cls(
            issuer=settings.effective_issuer,
            token_ttl=dt.timedelta(seconds=settings.oauth.access_token_ttl_s),
            alg=settings.oauth.signing_alg,
            secrets=ServerSecrets.from_settings(settings),
            default_rate_per_minute=settings.api.rate_limit_per_minute,
            default_burst=settings.api.rate_limit_burst,
        )

    @property
    def audience(self) -> str:
        return self.issuer

    @property
    def token_endpoint(self) -> str:
        return self.issuer + TOKEN_PATH
