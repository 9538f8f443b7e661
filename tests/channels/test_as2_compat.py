"""The oscrypto workaround: pyas2lib imports and runs on this machine's OpenSSL."""

from __future__ import annotations

import sys

from gateway.channels import as2 as channel
from gateway.channels import as2_compat
from tests.channels.certs import cached_key_pair


def test_widened_pattern_reads_versions_with_two_digit_parts() -> None:
    import re

    source = "version_match = re.search('\\\\b(\\\\d\\\\.\\\\d\\\\.\\\\d[a-z]*)\\\\b', version_string)"
    widened = as2_compat.widen(source)
    pattern = re.search(r"'(.*)'", widened)
    assert pattern is not None
    compiled = re.compile(pattern.group(1).encode().decode("unicode_escape"))
    assert compiled.search("OpenSSL 3.0.19 27 Jan 2026").group(1) == "3.0.19"  # type: ignore[union-attr]
    assert compiled.search("OpenSSL 1.1.1w 11 Sep 2023").group(1) == "1.1.1w"  # type: ignore[union-attr]
    assert re.compile(r"\b(\d\.\d\.\d[a-z]*)\b").search("OpenSSL 3.0.19") is None  # the narrow one fails


def test_the_libcrypto_binding_is_loaded_once_with_a_version() -> None:
    module = as2_compat.load()
    assert sys.modules[as2_compat.backend_module()] is module
    assert as2_compat.load() is module
    assert isinstance(module.version_info, tuple)
    assert all(isinstance(part, int) for part in module.version_info[:3])


def test_a_signed_encrypted_compressed_round_trip_with_a_signed_mdn_works() -> None:
    ours, theirs = cached_key_pair("gateway"), cached_key_pair("partner")
    partner_identity = channel.Identity("PARTNER", theirs.bundle, domain="partner.test")
    our_profile_at_partner = channel.Profile("GATEWAY", ours.certificate, compress=True)
    sent = channel.build_message(
        partner_identity,
        our_profile_at_partner,
        b"ISA*00*~",
        filename="a.edi",
        content_type="application/edi-x12",
    )
    assert sent.signed
    assert sent.encrypted
    assert sent.compressed

    gateway_identity = channel.Identity("GATEWAY", ours.bundle, domain="gateway.test")
    got = channel.read_message(
        sent.raw,
        find_org=lambda as2_id: channel.organization(gateway_identity) if as2_id == "GATEWAY" else None,
        find_partner=lambda as2_id: channel.partner(
            channel.Profile("PARTNER", theirs.certificate), inbound=True
        ),
    )
    assert got.ok, got.error
    assert got.payload == b"ISA*00*~"
    assert got.mic == sent.mic
    assert got.mdn is not None
    assert got.mdn.signed
    result = channel.read_mdn(
        got.mdn.raw,
        identity=partner_identity,
        profile=our_profile_at_partner,
        message_id=sent.message_id,
        mic=sent.mic,
    )
    assert result.ok, result
    assert result.mic == sent.mic
