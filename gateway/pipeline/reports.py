"""What processing a receipt produced, for the CLI, the API and the tests: per document and per receipt."""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.formats.issues import Issue


@dataclass
class DocumentReport:
    document_id: str
    doc_type: str
    control_number: str
    status: str
    partner_id: str
    events: int
    issues: list[Issue] = field(default_factory=list)
    note: str | None = None


@dataclass
class ReceiptReport:
    receipt_id: str
    file_name: str | None
    status: str
    documents: list[DocumentReport] = field(default_factory=list)
    acks: list[str] = field(default_factory=list)  # outbound message ids
    ack_paths: list[str] = field(default_factory=list)
    detail: str | None = None
    exceptions_opened: int = 0
