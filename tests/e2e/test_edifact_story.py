"""The EDIFACT supplier's journey end to end, on SQLite and on PostgreSQL: the ERP order goes out as
an ORDERS asking for a CONTRL → the partner's CONTRL marks it accepted (or rejected) → its ORDRSP and
DESADV are read, acknowledged with CONTRLs in its outbox, correlated, and raise the exceptions the
samples README lists; a repeated interchange is acknowledged again but changes nothing; a test
interchange changes no production state."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from gateway.formats.edifact import model as edifact
from gateway.formats.edifact import reader
from gateway.formats.issues import Severity
from gateway.pipeline import ingest
from gateway.pipeline.runtime import Runtime
from gateway.store import models as db
from gateway.store.session import session_scope
from tests.pipeline.support import SAMPLES, case_keys, counts, import_orders, ledger, receipt_view

PARTNER = "rheinwerk-bearings"
PO = "4500005001"
FILES = SAMPLES / "edifact" / PARTNER


def outbox(rt: Runtime) -> Path:
    return rt.settings.data_dir / "filedrop" / PARTNER / "outbox"


def messages_in(path: Path) -> list[edifact.Message]:
    items = list(reader.read(path.read_bytes(), file_name=path.name))
    for item in items:
        assert not [i for i in getattr(item, "issues", ()) if i.severity is Severity.ERROR], path.name
    return [i for i in items if isinstance(i, edifact.Message)]


def receive(rt: Runtime, name: str, data: bytes | None = None) -> str:
    return ingest.receive(rt, data or (FILES / name).read_bytes(), channel="test", file_name=name)


def orders_status(rt: Runtime) -> db.OutboundStatus:
    with session_scope(rt.sessionmaker) as session:
        (sent,) = session.scalars(
            select(db.OutboundMessage).where(
                db.OutboundMessage.partner_id == PARTNER, db.OutboundMessage.kind == "ORDERS"
            )
        ).all()
        return sent.status


def test_the_order_goes_out_as_orders_and_the_answers_come_back_acknowledged_and_correlated(
    runtime: Runtime,
) -> None:
    rt = runtime
    report = import_orders(rt, send=True)
    ((path, kind),) = [
        (p, k)
        for (_, partner, p), k in zip(report.sent, report.sent_kinds, strict=True)
        if partner == PARTNER
    ]
    assert kind == "ORDERS"
    assert path is not None
    (orders,) = messages_in(Path(path))
    assert orders.id.type == "ORDERS"
    assert orders.id.directory == "D96A"
    assert orders.id.association == "EAN008"
    assert orders.interchange is not None
    assert orders.interchange.ack_request == "1"
    assert orders.interchange.control_reference == "000000001"
    assert [s.get(2) for s in orders.segments if s.tag == "BGM"] == [PO]
    assert [s.get(3) for s in orders.segments if s.tag == "LIN"] == ["BRG-5001", "BRG-5002", "BRG-5003"]
    assert orders_status(rt) is db.OutboundStatus.WRITTEN

    contrl = receive(rt, "CONTRL_RW0000101.edi")
    assert [(d.doc_type, d.status) for d in receipt_view(rt, contrl).documents] == [("CONTRL", "correlated")]
    assert orders_status(rt) is db.OutboundStatus.ACCEPTED
    assert receipt_view(rt, contrl).acks == ()  # a CONTRL is not answered

    for name, doc_type in (("ORDRSP_RW0000102.edi", "ORDRSP"), ("DESADV_RW0000103.edi", "DESADV")):
        view = receipt_view(rt, receive(rt, name))
        assert view.status == "processed"
        assert [(d.doc_type, d.status) for d in view.documents] == [(doc_type, "correlated")]
        assert len(view.acks) == 1

    # One CONTRL per answered interchange in the outbox, each naming the interchange and message.
    answered = set()
    for written in sorted(outbox(rt).glob("CONTRL_*.edi")):
        (message,) = messages_in(written)
        uci = next(s for s in message.segments if s.tag == "UCI")
        ucm = next(s for s in message.segments if s.tag == "UCM")
        assert uci.get(4) == "7"
        assert ucm.get(3) == "7"
        answered.add((uci.get(1), ucm.get(2)))
    assert answered == {("RW0000102", "ORDRSP"), ("RW0000103", "DESADV")}

    assert {k for k in case_keys(rt) if k[1] == PO} == {("quantity_short", PO, "2"), ("date_late", PO, "3")}
    lines = {ln.line_number: ln for ln in ledger(rt) if ln.po_number == PO}
    assert {n: (ln.committed, ln.shipped) for n, ln in lines.items()} == {
        "1": (Decimal(400), Decimal(400)),
        "2": (Decimal(150), Decimal(150)),
        "3": (Decimal(100), Decimal(100)),
    }


def test_a_contrl_that_rejects_our_orders_marks_it_rejected_and_opens_a_case(runtime: Runtime) -> None:
    rt = runtime
    import_orders(rt, send=True)
    data = (FILES / "CONTRL_RW0000101.edi").read_bytes().replace(b"EAN008+7'", b"EAN008+4+13'UCS+5+13'")
    data = data.replace(b"UNT+4+1", b"UNT+5+1").replace(b"RW0000101", b"RW0000199")
    receive(rt, "CONTRL_RW0000199.edi", data)
    assert orders_status(rt) is db.OutboundStatus.REJECTED
    assert ("transmission_rejected", None, None) in case_keys(rt)


def test_a_repeated_interchange_is_acknowledged_again_and_changes_nothing(runtime: Runtime) -> None:
    rt = runtime
    import_orders(rt, send=True)
    first = receive(rt, "ORDRSP_RW0000102.edi")
    before = counts(rt)
    # The same UNB 0020 from the same partner with other bytes (a line break added): a duplicate.
    again = receive(rt, "ORDRSP_RW0000102.edi", (FILES / "ORDRSP_RW0000102.edi").read_bytes() + b"\n")
    after = counts(rt)
    assert receipt_view(rt, first).status == "processed"
    assert len(receipt_view(rt, again).acks) == 1
    assert (after.commitments, after.cases, after.shipments) == (
        before.commitments,
        before.cases,
        before.shipments,
    )
    with session_scope(rt.sessionmaker) as session:
        statuses = session.scalars(
            select(db.Interchange.status).where(db.Interchange.control_number == "RW0000102")
        ).all()
    assert sorted(statuses) == sorted([db.InterchangeStatus.ACCEPTED, db.InterchangeStatus.DUPLICATE])


def test_a_test_interchange_changes_no_production_state(runtime: Runtime) -> None:
    rt = runtime
    import_orders(rt, send=True)
    before = counts(rt)
    data = (FILES / "ORDRSP_RW0000102.edi").read_bytes().replace(b"RW0000102++++1'", b"RW0000177++++1++1'")
    data = data.replace(b"+RW0000102'", b"+RW0000177'")
    view = receipt_view(rt, receive(rt, "ORDRSP_RW0000177.edi", data))
    assert view.status == "processed"
    assert len(view.acks) == 1  # still acknowledged
    after = counts(rt)
    assert (after.commitments, after.cases) == (before.commitments, before.cases)
    assert not {k for k in case_keys(rt) if k[1] == PO}
