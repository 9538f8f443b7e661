"""Portal webhooks in: Standard Webhooks verification (https://www.standardwebhooks.com; see
EDI_REFERENCE "AS2, MDN and webhooks"), with the signing primitives our own outgoing webhooks use
(`webhook_out.sign`, `webhook_out.decode_secret`).

- `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature` are required;
- the timestamp may be at most `TOLERANCE` (five minutes) from now, either way (replays of an old
  delivery and clocks far ahead are refused alike);
- `webhook-signature` holds one or more space-separated `v1,<base64>` signatures; the delivery is
  authentic when any of them equals the HMAC-SHA256 of `id.timestamp.body` under any of the keys
  (a portal rotating its secret signs with old and new, a partner lists both `whsec_` keys);
- every comparison is constant-time (`hmac.compare_digest`), and all keys are tried even after a
  match, so the time taken does not tell which key or signature matched.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from gateway.channels.webhook_out import SIGNATURE_VERSION, sign
from gateway.errors import AuthError

TOLERANCE = timedelta(minutes=5)
MAX_ID_CHARS = 255


class SignatureError(AuthError):
    """A webhook whose Standard Webhooks headers are missing, stale or signed by no known key."""

    type = "/problems/invalid-webhook-signature"
    title = "Webhook signature not valid"


@dataclass(frozen=True, slots=True)
class Delivery:
    """The verified headers of one delivery."""

    webhook_id: str
    timestamp: int


def headers_of(headers: Mapping[str, str]) -> Delivery:
    """The `webhook-id` and `webhook-timestamp` of a delivery (SignatureError when missing)."""
    message_id = headers.get("webhook-id", "").strip()
    stamp = headers.get("webhook-timestamp", "").strip()
    if not message_id or len(message_id) > MAX_ID_CHARS:
        raise SignatureError("the webhook-id header is missing or longer than 255 characters")
    if not stamp.isdigit():
        raise SignatureError("the webhook-timestamp header is missing or not Unix seconds")
    return Delivery(message_id, int(stamp))


def matching_keys(
    headers: Mapping[str, str], body: bytes, keys: Sequence[bytes], *, now: datetime
) -> tuple[Delivery, list[int]]:
    """The delivery and the indexes of `keys` that signed it (possibly none). SignatureError when
    the headers are missing or the timestamp is more than `TOLERANCE` off `now`."""
    delivery = headers_of(headers)
    sent = datetime.fromtimestamp(delivery.timestamp, tz=now.tzinfo)
    if abs(now - sent) > TOLERANCE:
        raise SignatureError(
            f"webhook-timestamp {delivery.timestamp} is more than {int(TOLERANCE.total_seconds())} s "
            "from the gateway's clock"
        )
    offered = [
        sig.split(",", 1)[1].encode()
        for sig in headers.get("webhook-signature", "").split()
        if sig.startswith(SIGNATURE_VERSION + ",")
    ]
    if not offered:
        raise SignatureError("the webhook-signature header holds no v1 signature")
    matched = []
    for index, key in enumerate(keys):
        expected = sign(key, delivery.webhook_id, delivery.timestamp, body).split(",", 1)[1].encode()
        hit = False
        for candidate in offered:
            hit |= hmac.compare_digest(expected, candidate)
        if hit:
            matched.append(index)
    return delivery, matched
