"""Standard Webhooks verification of portal deliveries: several signatures and several keys
(rotation), the five-minute window both ways, missing headers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gateway.channels.portal_webhook import SignatureError, matching_keys
from gateway.channels.webhook_out import sign

NOW = datetime(2025, 3, 5, 12, 0, tzinfo=UTC)
OLD, NEW, OTHER = b"old-key-0123456789", b"new-key-0123456789", b"someone-elses-key-0"
BODY = b'{"type": "order.confirmed"}'


def headers(signature: str, *, at: datetime = NOW, message_id: str = "msg_1") -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }


def sig(key: bytes, *, at: datetime = NOW, body: bytes = BODY, message_id: str = "msg_1") -> str:
    return sign(key, message_id, int(at.timestamp()), body)


def test_any_of_several_signatures_by_any_key_verifies() -> None:
    delivery, matched = matching_keys(headers(f"{sig(OTHER)} {sig(NEW)}"), BODY, [OLD, NEW], now=NOW)
    assert delivery.webhook_id == "msg_1"
    assert matched == [1]
    _, both = matching_keys(headers(f"{sig(OLD)} {sig(NEW)}"), BODY, [OLD, NEW], now=NOW)
    assert both == [0, 1]


@pytest.mark.parametrize(
    "signature",
    [sig(OTHER), sig(NEW, body=b"{}"), sig(NEW, message_id="msg_2"), "v2," + sig(NEW).split(",", 1)[1]],
)
def test_a_signature_of_other_bytes_or_keys_matches_nothing(signature: str) -> None:
    if signature.startswith("v2,"):
        with pytest.raises(SignatureError, match="no v1 signature"):
            matching_keys(headers(signature), BODY, [NEW], now=NOW)
        return
    _, matched = matching_keys(headers(signature), BODY, [OLD, NEW], now=NOW)
    assert matched == []


@pytest.mark.parametrize("offset", [timedelta(minutes=-5, seconds=-1), timedelta(minutes=5, seconds=1)])
def test_timestamps_more_than_five_minutes_off_are_refused(offset: timedelta) -> None:
    at = NOW + offset
    with pytest.raises(SignatureError, match="more than 300 s"):
        matching_keys(headers(sig(NEW, at=at), at=at), BODY, [NEW], now=NOW)


def test_five_minutes_exactly_is_still_accepted() -> None:
    at = NOW - timedelta(minutes=5)
    _, matched = matching_keys(headers(sig(NEW, at=at), at=at), BODY, [NEW], now=NOW)
    assert matched == [0]


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_headers_are_refused(missing: str) -> None:
    h = headers(sig(NEW))
    del h[missing]
    with pytest.raises(SignatureError):
        matching_keys(h, BODY, [NEW], now=NOW)
