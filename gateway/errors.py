"""The gateway's exception tree.

Every error the gateway raises on purpose is a `GatewayError`. Each class carries its meaning as
class attributes (HTTP status, problem type URI, title), and the instance carries `detail` plus
extension fields. `gateway.api.problems` renders them as RFC 9457 problem+json; nothing below the
API knows HTTP.

    GatewayError
    ├── FormatError            the bytes cannot be framed as the claimed format (carries a Location)
    │   └── UnknownFormatError the bytes look like no format we read
    ├── MappingError           no map, or a map that cannot be applied
    │   └── NoMapError         a document type we have no map for (reported as skipped)
    ├── PartnerError           partner config invalid or sender unknown
    │   ├── UnknownPartnerError  404: a caller named a partner we do not know
    │   └── PartnerConfigError
    ├── AuthError              401: missing or invalid credentials (a `Bearer` challenge)
    │   ├── MissingTokenError  401: no token at all
    │   └── InsufficientScopeError  403: a valid token without the scope the route needs
    ├── RateLimitedError       429: the client is over its request rate (`retry_after` seconds)
    ├── NotFoundError          the resource does not exist (or belongs to another tenant)
    ├── ConflictError          a state conflict (idempotency key reuse, stale version)
    ├── InvalidRequestError    a request that names nothing to act on (422)
    ├── RequestTooLargeError   a request body over the API's limit
    └── DeliveryError          outbound delivery failed; `retryable` says whether to retry
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from gateway.formats.issues import Location


class GatewayError(Exception):
    """Root of every error the gateway raises on purpose."""

    status: ClassVar[int] = 500
    type: ClassVar[str] = "/problems/internal"
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions

    def __str__(self) -> str:
        return self.detail


class FormatError(GatewayError):
    """The bytes cannot be framed as the claimed format. Carries where reading stopped."""

    status = 422
    type = "/problems/unreadable-document"
    title = "Document cannot be read"

    def __init__(self, detail: str, location: Location | None = None, **extensions: Any) -> None:
        super().__init__(detail, **extensions)
        self.location = location

    def describe(self) -> str:
        """One line for a person: `FormatError: <where>: <detail>`."""
        where = self.location.describe() if self.location is not None else ""
        return f"{type(self).__name__}: {where + ': ' if where else ''}{self.detail}"


class UnknownFormatError(FormatError):
    type = "/problems/unknown-format"
    title = "Unknown document format"


class MappingError(GatewayError):
    status = 422
    type = "/problems/mapping-failed"
    title = "Document cannot be mapped"


class NoMapError(MappingError):
    """No map exists for this document type and version: the document is skipped, not failed."""

    type = "/problems/no-map"
    title = "No map for this document type"


class PartnerError(GatewayError):
    status = 422
    type = "/problems/partner"
    title = "Partner error"


class UnknownPartnerError(PartnerError):
    """No partner has this id. An API caller naming one gets 404, as for any unknown resource."""

    status = 404
    type = "/problems/unknown-partner"
    title = "Unknown partner"


class PartnerConfigError(PartnerError):
    type = "/problems/partner-config"
    title = "Invalid partner configuration"


class AuthError(GatewayError):
    """No usable access token. `error` is the RFC 6750 code for the `WWW-Authenticate` challenge
    (`invalid_token`, or None when the request carried no token at all)."""

    status = 401
    type = "/problems/unauthorized"
    title = "Unauthorized"
    error: ClassVar[str | None] = "invalid_token"


class MissingTokenError(AuthError):
    """The request carried no access token (the challenge then names no error)."""

    error = None


class InsufficientScopeError(AuthError):
    """The token is valid but lacks a scope the operation needs (403, never about another tenant's
    data: that answers 404)."""

    status = 403
    type = "/problems/insufficient-scope"
    title = "Insufficient scope"
    error = "insufficient_scope"


class RateLimitedError(GatewayError):
    status = 429
    type = "/problems/rate-limited"
    title = "Too many requests"


class NotFoundError(GatewayError):
    status = 404
    type = "/problems/not-found"
    title = "Not found"


class ConflictError(GatewayError):
    status = 409
    type = "/problems/conflict"
    title = "Conflict"


class InvalidRequestError(GatewayError):
    status = 422
    type = "/problems/invalid-request"
    title = "Invalid request"


class RequestTooLargeError(GatewayError):
    status = 413
    type = "/problems/request-too-large"
    title = "Request body too large"


class DeliveryError(GatewayError):
    status = 502
    type = "/problems/delivery-failed"
    title = "Outbound delivery failed"

    def __init__(self, detail: str, *, retryable: bool, **extensions: Any) -> None:
        super().__init__(detail, **extensions)
        self.retryable = retryable
