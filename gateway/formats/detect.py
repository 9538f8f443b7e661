"""Format detection from the first bytes of a document (X12 ISA, EDIFACT UNA/UNB/UNH, cXML, JSON).

Looks past a UTF-8, UTF-16 or UTF-32 byte order mark and leading whitespace only; it does not validate.
"""

from __future__ import annotations

from enum import StrEnum


class Format(StrEnum):
    X12 = "x12"
    EDIFACT = "edifact"
    CXML = "cxml"
    JSON = "json"
    UNKNOWN = "unknown"


_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff", b"\xff\xfe", b"\xfe\xff")
_PREFIXES: tuple[tuple[bytes, Format], ...] = (
    (b"ISA", Format.X12),
    (b"UNA", Format.EDIFACT),
    (b"UNB", Format.EDIFACT),
    (b"UNH", Format.EDIFACT),
    (b"<?xml", Format.CXML),
    (b"<cXML", Format.CXML),
    (b"<!DOCTYPE cXML", Format.CXML),
    (b"{", Format.JSON),
    (b"[", Format.JSON),
)


def _narrow(head: bytes, bom: bytes) -> bytes:
    """UTF-16/32 text to ASCII bytes for the prefix test (non-ASCII characters become NUL)."""
    encoding = {2: "utf-16", 4: "utf-32"}[len(bom)]
    text = (bom + head[: len(head) - len(head) % len(bom)]).decode(encoding, errors="ignore")
    return text.encode("ascii", errors="replace")


def detect(head: bytes) -> Format:
    """The format `head` (the first bytes, a few hundred are plenty) most likely is."""
    for bom in _BOMS:
        if head.startswith(bom):
            head = head[len(bom) :]
            if bom != b"\xef\xbb\xbf":
                head = _narrow(head, bom)
            break
    head = head.lstrip(b" \t\r\n\x00")
    for prefix, fmt in _PREFIXES:
        if head.startswith(prefix):
            return fmt
    return Format.UNKNOWN
