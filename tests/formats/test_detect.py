"""Format detection from the first bytes."""

from __future__ import annotations

import pytest

from gateway.formats.detect import Format, detect


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"ISA*00*", Format.X12),
        (b"\xef\xbb\xbfISA*00*", Format.X12),
        (b"\r\n  \tISA|00|", Format.X12),
        (b"UNA:+.? 'UNB+UNOA", Format.EDIFACT),
        (b"UNB+UNOC:3", Format.EDIFACT),
        (b"UNH+1+ORDRSP", Format.EDIFACT),
        (b'<?xml version="1.0"?><cXML>', Format.CXML),
        (b"<cXML payloadID='x'>", Format.CXML),
        (b'<!DOCTYPE cXML SYSTEM "cXML.dtd">', Format.CXML),
        (b'{"shipment": 1}', Format.JSON),
        (b"\n[1, 2]", Format.JSON),
        ("<?xml".encode("utf-16"), Format.CXML),
        (b"", Format.UNKNOWN),
        (b"GS*PO*", Format.UNKNOWN),
        (b"\x00\x01\x02", Format.UNKNOWN),
    ],
)
def test_detects_the_format_from_the_first_bytes(head: bytes, expected: Format) -> None:
    assert detect(head) is expected
