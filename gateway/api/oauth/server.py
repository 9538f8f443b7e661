"""The bridge to authlib's server API, which is synchronous.

An async route reads everything authlib will look at first (method, URL, headers, the form body),
then `respond` runs authlib in a worker thread with a synchronous session of its own that commits
once when authlib is done. authlib is imported here and nowhere else in the gateway.

- `FormRequest`: a Starlette request as authlib's `OAuth2Request`, built from the pre-read form.
- `GatewayServer`: authlib's `AuthorizationServer` on our store, one per request (it holds the
  request's session): client lookup, the RFC 9068 token generator (`tokens.issue`), the
  client-credentials grant, client authentication by `client_secret_basic`, `client_secret_post`
  and `private_key_jwt` (RFC 7523), introspection (RFC 7662) and revocation (RFC 7009).
- Every OAuth error authlib produces is rendered by `problems.oauth_problem`: problem+json that
  keeps the RFC 6749 `error` and `error_description` members.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections import defaultdict
from collections.abc import Mapping
from typing import Any, cast
from urllib.parse import parse_qsl

from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientCredentialsGrant,
    ClientMixin,
    InsecureTransportError,
    InvalidClientError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
    OAuth2Payload,
    OAuth2Request,
    TokenMixin,
)
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, KeySetSerialization
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.api import problems
from gateway.api.oauth import scopes as scope_catalogue
from gateway.api.oauth import tokens
from gateway.api.oauth.authority import Authority
from gateway.api.oauth.scopes import InternalScope
from gateway.errors import AuthError
from gateway.kit import metrics
from gateway.partners.model import ClientAuthMethod
from gateway.partners.registry import PartnerRegistry
from gateway.pipeline.runtime import Runtime
from gateway.store import models as db
from gateway.store import repositories as repo
from gateway.store.session import session_scope

log = logging.getLogger(__name__)

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
AUTH_METHODS = [str(m) for m in ClientAuthMethod]
GRANT_TYPE = "client_credentials"
# Client ids and assertion ids reach database lookups: printable ASCII only (PostgreSQL refuses NUL).
_PRINTABLE = re.compile(r"^[\x21-\x7e]{1,255}$")
MAX_ASSERTION_LIFETIME = dt.timedelta(minutes=10)
ASSERTION_ALGORITHMS = ("ES256", "ES384", "RS256", "PS256")
ASSERTION_LEEWAY_S = 60


# ------------------------------------------------------------------------------ the request adapter


class _FormPayload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, form: dict[str, str]) -> None:
        self._form = form

    @property
    def data(self) -> dict[str, str]:
        return self._form

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return defaultdict(list, {k: [v] for k, v in self._form.items()})


class FormRequest(OAuth2Request):  # type: ignore[misc]
    """What authlib reads of a request, all read up front: authlib runs in a worker thread."""

    def __init__(self, method: str, url: str, headers: Mapping[str, str], form: dict[str, str]) -> None:
        super().__init__(method, url, headers=headers)
        self._form = form
        self.payload = _FormPayload(form)

    @property
    def form(self) -> dict[str, str]:
        return self._form

    @property
    def args(self) -> dict[str, str]:
        return {}


async def read_form(request: Request) -> FormRequest | Response:
    """The request as authlib's `OAuth2Request`, or the problem answer for a body that is not a
    well-formed form (RFC 6749: form-encoded, UTF-8, no parameter twice) or a request over plain
    HTTP to a non-loopback host."""
    body = await request.body()
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if body and content_type != FORM_MEDIA_TYPE:
        return _error(request, InvalidRequestError(f"the body must be {FORM_MEDIA_TYPE}"))
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError):
        return _error(request, InvalidRequestError("the body is not a UTF-8 form"))
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            return _error(request, InvalidRequestError(f"the parameter {_ascii(name)} is given twice"))
        form[name] = value
    try:
        return FormRequest(request.method, str(request.url), request.headers, form)
    except InsecureTransportError as exc:
        return _error(request, exc)


def claimed_client_id(request: FormRequest) -> str | None:
    """The client id a request claims (not yet authenticated): for rate limiting the token endpoint."""
    basic_id, _ = extract_basic_authorization(request.headers)
    claimed = basic_id or request.form.get("client_id")
    if not claimed and request.form.get("client_assertion"):
        try:
            claims = json.loads(jws.extract_compact(request.form["client_assertion"].encode()).payload)
            claimed = claims.get("sub") if isinstance(claims, dict) else None
        except (JoseError, ValueError, UnicodeError):
            claimed = None
    return claimed if isinstance(claimed, str) and _PRINTABLE.match(claimed) else None


def _ascii(text: str) -> str:
    """Text safe for an RFC 6749 error description (%x20-21 / %x23-5B / %x5D-7E)."""
    return "".join(c if 0x20 <= ord(c) <= 0x7E and c not in '"\\' else "?" for c in text)[:100]


def _error(request: Request, error: OAuth2Error) -> Response:
    status, body, headers = error()
    return problems.oauth_problem(status, body, headers, instance=request.url.path)


# ------------------------------------------------------------------------------ models authlib reads


class Client(ClientMixin):  # type: ignore[misc]
    """An `oauth_client` row as authlib's client."""

    def __init__(self, row: db.OAuthClient, authority: Authority) -> None:
        self.row = row
        self.authority = authority

    @property
    def client_id(self) -> str:
        return self.row.client_id

    @property
    def is_admin(self) -> bool:
        return self.row.role is not None and InternalScope.PARTNERS_ADMIN in self.row.scopes

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        granted = set(self.row.scopes)
        requested = set(scope_catalogue.parse(scope)) or granted
        return scope_catalogue.render(sorted(requested & granted))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return self.authority.secrets.secret_matches(client_secret, self.row.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        # One method per client, at every endpoint: a private_key_jwt client has no secret to try.
        return method == self.row.auth_method

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == GRANT_TYPE


class Token(TokenMixin):  # type: ignore[misc]
    """An issued access token as introspection and revocation see it."""

    def __init__(self, row: db.OAuthToken, client: db.OAuthClient, claims: dict[str, Any], now: dt.datetime):
        self.row, self.client, self.claims, self.now = row, client, claims, now

    def check_client(self, client: Client) -> bool:
        return self.row.client_id == client.client_id

    def get_scope(self) -> str:
        return self.row.scope

    def get_expires_in(self) -> int:
        return int((self.row.expires_at - self.row.issued_at).total_seconds())

    def is_expired(self) -> bool:
        return self.row.expires_at <= self.now

    def is_revoked(self) -> bool:
        return self.row.revoked_at is not None or self.client.revoked_at is not None


# ------------------------------------------------------------------------------ grant and endpoints


class ClientCredentials(ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def validate_requested_scope(self) -> None:
        """Every requested scope must be granted to the client (no silent narrowing: a typo in a
        scope is an error the caller sees)."""
        requested = set(scope_catalogue.parse(self.request.payload.scope))
        refused = sorted(requested - set(self.request.client.row.scopes))
        if refused:
            raise InvalidScopeError(f"not granted to this client: {_ascii(' '.join(refused))}")


class PrivateKeyJwt(JWTBearerClientAssertion):  # type: ignore[misc]
    """RFC 7523 client authentication: a JWT signed with the key of the client's `jwks` (a
    partner's public JWK from its file). `iss` = `sub` = the client id, `aud` the token endpoint
    (or the issuer), `exp` at most ten minutes ahead, and a `jti` used once."""

    CLIENT_AUTH_METHOD = str(ClientAuthMethod.PRIVATE_KEY_JWT)

    def __init__(self, server: GatewayServer) -> None:
        super().__init__(validate_jti=True, leeway=ASSERTION_LEEWAY_S)
        self.server = server

    def get_audiences(self) -> list[str]:
        return [self.server.authority.token_endpoint, self.server.authority.issuer]

    def verify_claims(self, claims: dict[str, Any]) -> None:
        now = int(self.server.now.timestamp())
        registry = jwt.JWTClaimsRegistry(
            now=now,
            leeway=self.leeway,
            iss={"essential": True},
            sub={"essential": True},
            aud={"essential": True, "values": self.get_audiences()},
            exp={"essential": True},
            jti={"essential": True},
        )
        try:
            registry.validate(claims)
        except JoseError as exc:
            raise InvalidClientError(description=_ascii(f"client assertion: {exc.description}")) from None
        if claims["sub"] != claims["iss"]:
            raise InvalidClientError(description="client assertion: iss and sub must both be the client id")
        if not isinstance(claims["exp"], int) or claims["exp"] > now + MAX_ASSERTION_LIFETIME.total_seconds():
            raise InvalidClientError(description="client assertion: exp is more than ten minutes ahead")
        if not self.validate_jti(claims, claims["jti"]):
            raise InvalidClientError(description="client assertion: this jti was used before")

    def process_assertion_claims(self, assertion: str, resolve_key: KeySet) -> dict[str, Any]:
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=list(ASSERTION_ALGORITHMS))
        except (JoseError, ValueError):
            raise InvalidClientError(description="client assertion: the signature does not verify") from None
        self.verify_claims(token.claims)
        return token.claims

    def validate_jti(self, claims: dict[str, Any], jti: object) -> bool:
        if not isinstance(jti, str) or not _PRINTABLE.match(jti):
            return False
        expires_at = dt.datetime.fromtimestamp(int(claims["exp"]) + self.leeway, dt.UTC)
        return repo.ClientAssertionRepository(self.server.session).use(
            str(claims["sub"]), jti, expires_at=expires_at, now=self.server.now
        )

    def resolve_client_public_key(self, client: Client) -> KeySet:
        if client.row.auth_method != self.CLIENT_AUTH_METHOD or not client.row.jwks:
            raise InvalidClientError(description="the client does not authenticate with private_key_jwt")
        return KeySet.import_key_set(cast(KeySetSerialization, client.row.jwks))


class Introspection(IntrospectionEndpoint):  # type: ignore[misc]
    """RFC 7662, for internal administrators (`partners:admin`): anyone else learns `active: false`."""

    CLIENT_AUTH_METHODS = AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        found: Token | None = self.server.find_token(token_string)
        return found

    def check_permission(self, token: Token, client: Client, request: FormRequest) -> bool:
        return client.is_admin

    def introspect_token(self, token: Token) -> dict[str, Any]:
        owner = {"partner_id": token.client.partner_id} if token.client.partner_id else {}
        if token.client.role:
            owner = {"role": token.client.role}
        return {
            "active": True,
            "scope": token.row.scope,
            "client_id": token.row.client_id,
            "token_type": "Bearer",
            "exp": token.claims["exp"],
            "iat": token.claims["iat"],
            "sub": token.claims["sub"],
            "aud": token.claims["aud"],
            "iss": token.claims["iss"],
            "jti": token.row.jti,
            **owner,
        }


class Revocation(RevocationEndpoint):  # type: ignore[misc]
    """RFC 7009: a client revokes its own tokens; an administrator (`partners:admin`) any token.
    Another client's token is answered like an unknown one (200, nothing revoked)."""

    CLIENT_AUTH_METHODS = AUTH_METHODS

    def authenticate_token(self, request: FormRequest, client: Client) -> Token | None:
        self.check_params(request, client)
        token = self.query_token(request.form["token"], request.form.get("token_type_hint"))
        if token is None or not (token.check_client(client) or client.is_admin):
            return None
        return token

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        found: Token | None = self.server.find_token(token_string)
        return found

    def revoke_token(self, token: Token, request: FormRequest) -> None:
        repo.OAuthTokenRepository(self.server.session).revoke(token.row.jti, at=self.server.now)


# ------------------------------------------------------------------------------ the server


class GatewayServer(AuthorizationServer):  # type: ignore[misc]
    """authlib's authorization server on one request's session."""

    def __init__(
        self,
        session: Session,
        authority: Authority,
        partners: PartnerRegistry,
        now: dt.datetime,
        *,
        path: str,
    ) -> None:
        super().__init__(scopes_supported=list(scope_catalogue.ALL_SCOPES))
        self.session, self.authority, self.partners, self.now = session, authority, partners, now
        self.path = path  # the `instance` of error answers
        self.register_token_generator("default", self.generate_bearer_token)
        self.register_grant(ClientCredentials)
        self.register_client_auth_method(str(ClientAuthMethod.PRIVATE_KEY_JWT), PrivateKeyJwt(self))
        self.register_endpoint(Introspection(self))
        self.register_endpoint(Revocation(self))

    def query_client(self, client_id: object) -> Client | None:
        """A usable client: known, not revoked, and (for a supplier's) its partner known and enabled."""
        if not isinstance(client_id, str) or not _PRINTABLE.match(client_id):
            return None
        row = repo.OAuthClientRepository(self.session).get(client_id)
        if row is None or row.revoked_at is not None:
            return None
        if row.partner_id is not None and (
            row.partner_id not in self.partners or not self.partners.get(row.partner_id).enabled
        ):
            return None
        return Client(row, self.authority)

    def generate_bearer_token(
        self,
        grant_type: str,
        client: Client,
        user: object = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        """The token response of RFC 6749 section 5.1 (no refresh token for client credentials)."""
        granted = scope_catalogue.parse(client.get_allowed_scope(scope))
        issued = tokens.issue(self.session, self.authority, client.row, granted, self.now)
        metrics.record_token_issued(partner=client.row.partner_id or "internal")
        return {
            "access_token": issued.access_token,
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
            "scope": issued.scope,
        }

    def save_token(self, token: dict[str, Any], request: FormRequest) -> None:
        """Nothing left to do: `tokens.issue` recorded the token when it signed it."""

    def find_token(self, token_string: str) -> Token | None:
        """A token this gateway signed (expired ones too: introspection calls them inactive)."""
        try:
            claims = tokens.decode(self.session, self.authority, token_string, self.now, check_expiry=False)
        except AuthError:
            return None
        found = repo.OAuthTokenRepository(self.session).with_client(str(claims["jti"]))
        return None if found is None else Token(found[0], found[1], claims, self.now)

    def create_oauth2_request(self, request: FormRequest) -> FormRequest:
        return request

    def create_json_request(self, request: object) -> None:
        raise NotImplementedError("the gateway's OAuth endpoints take forms only")

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> Response:
        if status >= 400:
            return problems.oauth_problem(status, body, headers, instance=self.path)
        return JSONResponse(body, status_code=status, headers=dict(headers))

    def send_signal(self, name: str, *args: object, **kwargs: object) -> None:
        log.info("oauth: %s", name, extra={"oauth_signal": name})


def respond(rt: Runtime, authority: Authority, request: FormRequest, endpoint: str, path: str) -> Response:
    """Run one OAuth endpoint (`token`, `introspection`, `revocation`) in a session of its own that
    commits when authlib is done. Blocking: call it from a worker thread."""
    with session_scope(rt.sessionmaker) as session:
        server = GatewayServer(session, authority, rt.partners, rt.clock.now(), path=path)
        if endpoint == "token":
            response: Response = server.create_token_response(request)
        else:
            response = server.create_endpoint_response(endpoint, request)
        return response
