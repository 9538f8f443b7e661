"""Receipts, interchanges, documents and processing steps, on both backends."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from gateway.formats.issues import Issue, IssueCode, Location, Severity
from gateway.kit.ids import document_id, sha256_hex
from gateway.store import models as db
from gateway.store import repositories as repo
from tests.store.builders import T0


def test_a_receipt_keeps_its_bytes_hash_and_size(session: Session) -> None:
    receipts = repo.ReceiptRepository(session)
    receipts.add(id="r1", channel="file", raw=b"ISA*00*~", received_at=T0, file_name="a.edi")
    session.expire_all()
    row = receipts.get("r1")
    assert row is not None
    assert (row.raw, row.size, row.content_sha256) == (b"ISA*00*~", 8, sha256_hex(b"ISA*00*~"))
    assert row.status is db.ReceiptStatus.RECEIVED


def test_find_by_sha256_returns_the_first_non_duplicate_receipt(session: Session) -> None:
    receipts = repo.ReceiptRepository(session)
    first = receipts.add(id="r1", channel="file", raw=b"same", received_at=T0)
    receipts.add(
        id="r2",
        channel="file",
        raw=b"same",
        received_at=T0 + dt.timedelta(minutes=1),
        status=db.ReceiptStatus.DUPLICATE,
        duplicate_of_id="r1",
    )
    assert receipts.find_by_sha256(sha256_hex(b"same")) is first
    assert receipts.find_by_sha256(sha256_hex(b"same"), exclude_id="r1") is None
    assert receipts.find_by_sha256(sha256_hex(b"other")) is None


def test_receipt_status_moves_on_and_the_partner_is_filled_in(session: Session) -> None:
    receipts = repo.ReceiptRepository(session)
    receipts.add(id="r1", channel="http", raw=b"x", received_at=T0)
    receipts.set_status("r1", db.ReceiptStatus.FAILED, error="no ISA", partner_id="acme")
    assert [r.id for r in receipts.list(partner_id="acme", status=db.ReceiptStatus.FAILED)] == ["r1"]


def add_interchange(
    session: Session, ident: str, control: str, at: dt.datetime, **kw: object
) -> db.Interchange:
    repo.ReceiptRepository(session).add(
        id=f"rcpt-{ident}", channel="file", raw=ident.encode(), received_at=at
    )
    return repo.InterchangeRepository(session).add(
        id=ident,
        receipt_id=f"rcpt-{ident}",
        partner_id="acme",
        format="x12",
        sender="ACME",
        receiver="BUYER",
        control_number=control,
        received_at=at,
        **kw,  # type: ignore[arg-type]
    )


def test_find_duplicate_looks_only_inside_the_window(session: Session) -> None:
    interchanges = repo.InterchangeRepository(session)
    old = add_interchange(session, "i1", "000000042", T0)
    assert interchanges.find_duplicate("acme", "x12", "000000042", since=T0 - dt.timedelta(days=1)) is old
    assert interchanges.find_duplicate("acme", "x12", "000000042", since=T0 + dt.timedelta(hours=1)) is None
    assert interchanges.find_duplicate("acme", "x12", "000000043", since=T0 - dt.timedelta(days=1)) is None
    assert interchanges.find_duplicate("other", "x12", "000000042", since=T0 - dt.timedelta(days=1)) is None


def test_a_rejected_interchange_is_not_a_duplicate_source(session: Session) -> None:
    add_interchange(session, "i1", "7", T0, status=db.InterchangeStatus.REJECTED)
    found = repo.InterchangeRepository(session).find_duplicate("acme", "x12", "7", T0 - dt.timedelta(days=1))
    assert found is None


def test_documents_keep_issues_as_json_and_are_listed_by_filters(session: Session) -> None:
    documents = repo.DocumentRepository(session)
    issue = Issue(IssueCode.MANDATORY_ELEMENT_MISSING, Severity.ERROR, Location(segment_tag="BAK"), "BAK03")
    doc_id = document_id(sha256_hex(b"x"), 0)
    documents.add(
        id=doc_id, direction=db.Direction.INBOUND, format="x12", doc_type="855", partner_id="acme", at=T0
    )
    documents.add(
        id="d2", direction=db.Direction.INBOUND, format="x12", doc_type="856", partner_id="acme", at=T0
    )
    documents.set_status(doc_id, db.DocumentStatus.FAILED, issues=[issue], at=T0 + dt.timedelta(seconds=5))
    session.expire_all()
    row = documents.get(doc_id)
    assert row is not None
    assert row.status is db.DocumentStatus.FAILED
    assert row.issues == [issue.as_dict()]
    assert row.updated_at == T0 + dt.timedelta(seconds=5)
    assert [d.id for d in documents.list(partner_id="acme", doc_type="855")] == [doc_id]
    assert [d.id for d in documents.list(status=db.DocumentStatus.RECEIVED)] == ["d2"]


def test_processing_steps_trace_a_receipt_and_its_documents_in_order(session: Session) -> None:
    repo.ReceiptRepository(session).add(id="r1", channel="file", raw=b"x", received_at=T0)
    repo.DocumentRepository(session).add(
        id="d1", receipt_id="r1", direction=db.Direction.INBOUND, format="x12", doc_type="855"
    )
    steps = repo.ProcessingStepRepository(session)
    steps.record(stage=db.Stage.RECEIVED, status=db.StepStatus.OK, receipt_id="r1", at=T0)
    steps.record(stage=db.Stage.PARSED, status=db.StepStatus.OK, document_id="d1", at=T0)
    steps.record(stage=db.Stage.MAPPED, status=db.StepStatus.FAILED, document_id="d1", detail="no map", at=T0)
    assert [(s.stage, s.status) for s in steps.for_receipt("r1")] == [
        (db.Stage.RECEIVED, db.StepStatus.OK),
        (db.Stage.PARSED, db.StepStatus.OK),
        (db.Stage.MAPPED, db.StepStatus.FAILED),
    ]
    assert [s.detail for s in steps.for_document("d1")] == [None, "no map"]
