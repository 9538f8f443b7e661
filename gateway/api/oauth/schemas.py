"""What the OAuth endpoints answer (RFC 6749 section 5.1, RFC 7662, RFC 7009, RFC 8414, RFC 7517)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class TokenRead(BaseModel):
    access_token: str = Field(description="An RFC 9068 JWT (typ at+jwt), signed by the gateway.")
    token_type: str = "Bearer"
    expires_in: int
    scope: str


class IntrospectionRead(BaseModel):
    """RFC 7662: `active` alone when the token is not active (or the caller may not introspect it)."""

    model_config = ConfigDict(extra="allow")

    active: bool
    scope: str | None = None
    client_id: str | None = None
    token_type: str | None = None
    exp: int | None = None
    iat: int | None = None
    sub: str | None = None
    aud: str | None = None
    iss: str | None = None
    jti: str | None = None
    partner_id: str | None = None
    role: str | None = None


class RevocationRead(BaseModel):
    """RFC 7009 answers 200 whether or not the token was known (an empty object)."""

    model_config = ConfigDict(extra="forbid")


class JwksRead(BaseModel):
    keys: list[dict[str, Any]] = Field(
        description="Public JWKs: the active signing key and retired ones still in use."
    )


class MetadataRead(BaseModel):
    """RFC 8414 authorization server metadata."""

    issuer: str
    token_endpoint: str
    jwks_uri: str
    introspection_endpoint: str
    revocation_endpoint: str
    scopes_supported: list[str]
    response_types_supported: list[str]
    grant_types_supported: list[str]
    token_endpoint_auth_methods_supported: list[str]
    token_endpoint_auth_signing_alg_values_supported: list[str]
    introspection_endpoint_auth_methods_supported: list[str]
    revocation_endpoint_auth_methods_supported: list[str]
    service_documentation: str | None = None
