"""The AS2 channel's own pieces: headers read without decrypting, MIME framing, MDN detection,
our identity's key loading, and what a message built for a partner carries."""

from __future__ import annotations

import pytest

from gateway.channels import as2 as channel
from tests.channels.certs import cached_key_pair, make_key_pair


def test_the_envelope_reads_as2_names_quoted_or_not_and_the_mdn_request() -> None:
    env = channel.envelope(
        [
            ("AS2-From", '"FJORD METAL"'),
            ("AS2-To", "GATEWAYBUYER"),
            ("Message-ID", "<abc@fjord.test>"),
            ("Content-Type", 'application/pkcs7-mime; smime-type="enveloped-data"'),
            ("Disposition-Notification-To", "as2@fjord.test"),
            ("Disposition-Notification-Options", "signed-receipt-protocol=required, pkcs7-signature"),
            ("Receipt-Delivery-Option", "https://as2.fjord.test/mdn"),
        ]
    )
    assert (env.as2_from, env.as2_to, env.message_id) == ("FJORD METAL", "GATEWAYBUYER", "abc@fjord.test")
    assert env.content_type == "application/pkcs7-mime"
    assert (env.mdn_mode, env.mdn_url, env.mdn_signed) == ("async", "https://as2.fjord.test/mdn", True)


def test_no_disposition_notification_to_means_no_mdn() -> None:
    env = channel.envelope([("AS2-From", "A"), ("AS2-To", "B"), ("Message-ID", "<m>")])
    assert env.mdn_mode is None
    assert not env.mdn_signed


def test_mime_framing_round_trips_headers_and_body() -> None:
    headers = [("AS2-From", "A"), ("Content-Type", "multipart/report; boundary=x")]
    body = b"--x\r\nline\r\n\r\n--x--\r\n"
    assert channel.split_mime(channel.mime_bytes(headers, body)) == (headers, body)


def test_hop_by_hop_headers_are_not_carried_into_the_mime_message() -> None:
    kept = channel.transport_headers(
        [("Host", "h"), ("Content-Length", "3"), ("AS2-To", "B"), ("user-agent", "x")]
    )
    assert kept == [("AS2-To", "B")]


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("multipart/report; report-type=disposition-notification", b"", True),
        ("multipart/signed; protocol=x", b'--b\r\nContent-Type: multipart/report; boundary="c"\r\n', True),
        ("multipart/signed; protocol=x", b"--b\r\nContent-Type: application/edi-x12\r\n", False),
        ("application/pkcs7-mime", b"\x30\x80", False),
    ],
)
def test_an_mdn_is_told_from_a_message_by_its_content_type(
    content_type: str, body: bytes, expected: bool
) -> None:
    assert channel.looks_like_mdn([("Content-Type", content_type)], body) is expected


def test_a_password_protected_key_loads_with_its_password_and_not_without() -> None:
    pair = make_key_pair("locked", password="s3cret")
    assert channel.organization(channel.Identity("US", pair.bundle, key_password="s3cret")) is not None
    with pytest.raises(channel.AS2ConfigError):
        channel.organization(channel.Identity("US", pair.bundle, key_password="wrong"))


def test_a_key_without_its_certificate_is_a_config_error() -> None:
    with pytest.raises(channel.AS2ConfigError, match="cannot be loaded"):
        channel.organization(channel.Identity("US", cached_key_pair("gateway").key))


def test_asynchronous_mdns_need_our_mdn_url() -> None:
    us = channel.Identity("US", cached_key_pair("gateway").bundle)
    them = channel.Profile("THEM", cached_key_pair("partner").certificate, mdn_mode="async")
    with pytest.raises(channel.AS2ConfigError, match="mdn_url"):
        channel.build_message(us, them, b"x", filename="x.edi", content_type="application/edi-x12")


def test_a_message_built_for_a_partner_asks_for_the_mdn_its_profile_names() -> None:
    us = channel.Identity(
        "US", cached_key_pair("gateway").bundle, domain="us.test", mdn_url="https://us.test/as2"
    )
    them = channel.Profile("THEM", cached_key_pair("partner").certificate, mdn_mode="async", compress=True)
    built = channel.build_message(us, them, b"ISA*", filename="850_1.edi", content_type="application/edi-x12")
    env = channel.envelope(built.headers)
    assert (env.as2_from, env.as2_to) == ("US", "THEM")
    assert env.message_id == built.message_id
    assert built.message_id.endswith("@us.test")
    assert (env.mdn_mode, env.mdn_url, env.mdn_signed) == ("async", "https://us.test/as2", True)
    assert (built.signed, built.encrypted, built.compressed) == (True, True, True)
    assert built.mic is not None
