"""cXML over HTTP: the SharedSecret check for what partners post to `POST /cxml`, and the POST of
our OrderRequests to a partner's `cxml.order_url`, reading its synchronous Response.

A reply counts as delivered only with a cXML Response whose Status is 2xx; a 4xx Status is a
permanent refusal (the partner says why), a 5xx Status, an HTTP error or a reply that is not cXML is
transient and retried (cXML Reference Guide, "Status"; EDI_REFERENCE.md "cXML").
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

import httpx
from pydantic import SecretStr

from gateway.errors import DeliveryError, FormatError
from gateway.formats.cxml import model as cxml
from gateway.formats.cxml import parser

MEDIA_TYPE = "text/xml; charset=utf-8"
MAX_REPLY_BYTES = 1024 * 1024


def shared_secret_matches(presented: str | None, expected: SecretStr) -> bool:
    """Whether the Sender's SharedSecret is the partner's, compared in constant time."""
    if presented is None:
        return False
    return hmac.compare_digest(presented.encode("utf-8"), expected.get_secret_value().encode("utf-8"))


@dataclass(frozen=True, slots=True)
class Reply:
    http_status: int
    code: str
    text: str
    message: str


def post(
    url: str, body: bytes, *, timeout_s: float = 30.0, transport: httpx.BaseTransport | None = None
) -> Reply:
    """POST one cXML document and read the Response. DeliveryError (`retryable` as above) when it
    was not accepted."""
    try:
        with httpx.Client(timeout=timeout_s, transport=transport, follow_redirects=False) as client:
            response = client.post(url, content=body, headers={"content-type": MEDIA_TYPE})
    except httpx.HTTPError as exc:
        raise DeliveryError(f"POST {url}: {type(exc).__name__}: {exc}", retryable=True) from exc
    data = response.content[:MAX_REPLY_BYTES]
    try:
        envelope, _ = cxml.read_envelope(parser.parse(data, max_bytes=MAX_REPLY_BYTES))
    except FormatError as exc:
        raise DeliveryError(
            f"POST {url}: HTTP {response.status_code} without a cXML Response ({exc.detail})", retryable=True
        ) from exc
    status = envelope.status
    if envelope.kind is not cxml.Kind.RESPONSE or status is None:
        raise DeliveryError(f"POST {url}: the reply is not a cXML Response with a Status", retryable=True)
    reply = Reply(response.status_code, status.code, status.text, status.message)
    if not status.code.startswith("2"):
        detail = f"POST {url}: cXML Status {status.code} {status.text}" + (
            f": {status.message}" if status.message else ""
        )
        raise DeliveryError(detail, retryable=not status.code.startswith("4"), status_code=status.code)
    return reply
