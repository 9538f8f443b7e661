"""Identifiers as NewTypes, and the deterministic document id derivation.

A document id is derived from the receipt's content hash and the document's place in it, so
`gateway translate` (no database) and `gateway ingest` give the same id to the same document and a
replay re-derives exactly the ids it derived the first time. A duplicate receipt (same bytes) creates
no documents, so the derived ids never collide.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import NewType

PartnerId = NewType("PartnerId", str)
DocumentId = NewType("DocumentId", str)
ReceiptId = NewType("ReceiptId", str)

_NAMESPACE = uuid.UUID("7d3f7c55-2f0e-4c1a-9d55-5b0c3a8e6a10")


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of `data` as lowercase hex."""
    return hashlib.sha256(data).hexdigest()


def new_receipt_id() -> ReceiptId:
    """A fresh receipt id. Receipts are not derived from content: the same bytes received twice are
    two receipts, the second recorded as a duplicate of the first."""
    return ReceiptId(str(uuid.uuid4()))


def document_id(content_sha256: str, ordinal: int) -> DocumentId:
    """The id of the `ordinal`-th document (0-based, in file order) of a receipt: the UUID 5 of
    `document:<sha>:<ordinal>` in our namespace (the SHA-1 of the shared prefix is kept per receipt)."""
    global _prefix
    prefix = _prefix
    if prefix is None or prefix[0] != content_sha256:
        prefix = _prefix = (
            content_sha256,
            hashlib.sha1(_NAMESPACE.bytes + f"document:{content_sha256}:".encode(), usedforsecurity=False),
        )
    digest = prefix[1].copy()
    digest.update(str(ordinal).encode())
    b = bytearray(digest.digest()[:16])
    b[6] = (b[6] & 0x0F) | 0x50  # version 5
    b[8] = (b[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = b.hex()
    return DocumentId(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")


_prefix: tuple[str, hashlib._Hash] | None = None
