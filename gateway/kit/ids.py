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
    """The id of the `ordinal`-th document (0-based, in file order) of a receipt."""
    return DocumentId(str(uuid.uuid5(_NAMESPACE, f"document:{content_sha256}:{ordinal}")))
