"""Issue 3's story end to end with real X12 files, on SQLite and on PostgreSQL.

A PO with three lines and a production order that needs line 2's component on day D. The supplier's
855s, 856s and 997 are written here with the production X12 writer from the partner's own ids and
received through `ingest.receive`, as the file drop hands them over:

- an 855 commits line 2 for D+3: a production_at_risk exception names the production order;
- a newer 855 (later BAK09 and GS date, higher ISA13) commits D-2: the exception resolves itself;
- the older 855 again (the same file, and the same content in a new interchange) reopens nothing;
- an 856 for line 1 received twice (and replayed in a new interchange) counts once;
- a shipment beyond the ordered quantity plus tolerance opens an over_shipment exception;
- our 850 without a 997 past the partner's window opens an SLA exception (the monitors on an advanced
  clock), which closes when the 997 arrives.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from gateway import canonical
from gateway.canonical import ExceptionStatus, ExceptionType
from gateway.formats.x12 import writer
from gateway.formats.x12.model import Delimiters, WriterEnvelope
from gateway.formats.x12.writer import GroupToWrite, OutSegment, SetToWrite
from gateway.kit.clock import FixedClock
from gateway.pipeline import erp, ingest, monitors
from gateway.pipeline.correlate import group_subject
from gateway.pipeline.runtime import Runtime
from gateway.store import models as db
from gateway.store.session import session_scope
from tests.pipeline.support import NOW

PARTNER = "acme-fasteners"
PO = "4700000001"
D = dt.date(2025, 4, 10)
ITEMS = {"1": "FST-1001", "2": "FST-1002", "3": "FST-1003"}


def envelope(rt: Runtime) -> WriterEnvelope:
    """The partner's envelope (partners/acme-fasteners.yaml) addressed to us."""
    partner = rt.partners.get(PARTNER)
    assert partner.x12 is not None
    me = rt.settings.buyer
    return WriterEnvelope(
        sender_qualifier=partner.x12.isa_qualifier,
        sender_id=partner.x12.isa_id,
        receiver_qualifier=me.isa_qualifier,
        receiver_id=me.isa_id,
        application_sender=partner.x12.gs_id or partner.x12.isa_id,
        application_receiver=me.gs_id,
        delimiters=Delimiters("*", "~", ">", None),
    )


def interchange(
    rt: Runtime, *, isa13: int, at: dt.datetime, functional_id: str, set_id: str, body: list[OutSegment]
) -> bytes:
    st02 = f"{isa13 % 10000:04d}"
    text = writer.write_interchange(
        envelope(rt),
        interchange_control=isa13,
        groups=[GroupToWrite(functional_id, isa13, [SetToWrite(set_id, st02, body)])],
        prepared_at=at,
        line_break="\n",
    )
    return text.encode()


def po_855(rt: Runtime, *, isa13: int, at: dt.datetime, line_2_on: dt.date) -> bytes:
    """An 855 (BAK02 AC) accepting every line, line 2 for `line_2_on`; BAK09 is the 855's date."""
    body = [OutSegment("BAK", ("00", "AC", PO, "20250303", "", "", "", "", at.strftime("%Y%m%d")))]
    for n, item in ITEMS.items():
        day = line_2_on if n == "2" else D - dt.timedelta(days=5)
        body += [
            OutSegment("PO1", (n, "100", "EA", "0.5", "", "BP", item)),
            OutSegment("ACK", ("IA", "100", "EA", "067", day.strftime("%Y%m%d"))),
        ]
    body.append(OutSegment("CTT", (str(len(ITEMS)),)))
    return interchange(rt, isa13=isa13, at=at, functional_id="PR", set_id="855", body=body)


def ship_notice(
    rt: Runtime, *, isa13: int, at: dt.datetime, shipment_id: str, line: str, quantity: int
) -> bytes:
    """An 856 (S-O-I) shipping `quantity` EA of one PO line."""
    day = at.strftime("%Y%m%d")
    body = [
        OutSegment("BSN", ("00", shipment_id, day, at.strftime("%H%M"), "0004")),
        OutSegment("HL", ("1", "", "S", "1")),
        OutSegment("DTM", ("011", day)),
        OutSegment("DTM", ("017", (at.date() + dt.timedelta(days=3)).strftime("%Y%m%d"))),
        OutSegment("HL", ("2", "1", "O", "1")),
        OutSegment("PRF", (PO,)),
        OutSegment("HL", ("3", "2", "I", "0")),
        OutSegment("LIN", (line, "BP", ITEMS[line])),
        OutSegment("SN1", (line, str(quantity), "EA")),
        OutSegment("CTT", ("1",)),
    ]
    return interchange(rt, isa13=isa13, at=at, functional_id="SH", set_id="856", body=body)


def functional_ack(rt: Runtime, *, isa13: int, at: dt.datetime, group: str, st02: str) -> bytes:
    body = [
        OutSegment("AK1", ("PO", group)),
        OutSegment("AK2", ("850", st02)),
        OutSegment("AK5", ("A",)),
        OutSegment("AK9", ("A", "1", "1", "1")),
    ]
    return interchange(rt, isa13=isa13, at=at, functional_id="FA", set_id="997", body=body)


def receive(rt: Runtime, data: bytes, name: str) -> str:
    receipt_id = ingest.receive(rt, data, channel="filedrop", file_name=name)
    with session_scope(rt.sessionmaker) as session:
        receipt = session.get(db.Receipt, receipt_id)
        assert receipt is not None
        return str(receipt.status)


def cases(rt: Runtime, type_: ExceptionType) -> list[tuple[ExceptionStatus, str, list[str]]]:
    with session_scope(rt.sessionmaker) as session:
        rows = session.scalars(
            select(db.ExceptionCase).where(db.ExceptionCase.type == type_).order_by(db.ExceptionCase.id)
        ).all()
        return [(r.status, r.subject, list(r.impacted_production_orders)) for r in rows]


def line_figures(rt: Runtime, line: str) -> tuple[Decimal | None, dt.date | None, Decimal]:
    with session_scope(rt.sessionmaker) as session:
        row = session.scalars(
            select(db.PurchaseOrderLine)
            .join(db.PurchaseOrder)
            .where(db.PurchaseOrder.po_number == PO, db.PurchaseOrderLine.line_number == line)
        ).one()
        return row.committed_quantity, row.committed_on, row.shipped_quantity


def test_issue_3_story_with_real_x12_files(runtime: Runtime) -> None:
    rt = runtime
    assert isinstance(rt.clock, FixedClock)
    order = canonical.PurchaseOrder(
        po_number=PO,
        partner_id=PARTNER,
        plant="P100",
        order_date=dt.date(2025, 3, 3),
        lines=tuple(
            canonical.PurchaseOrderLine(
                line_number=n,
                buyer_item=item,
                quantity=Decimal(100),
                unit="EA",
                unit_price=Decimal("0.5"),
                requested_date=D - dt.timedelta(days=5),
            )
            for n, item in ITEMS.items()
        ),
    )
    production = canonical.ProductionOrder(
        order_id="MO-3001",
        plant="P100",
        start_date=D,
        components=(
            canonical.ComponentRequirement(item="FST-1002", quantity=Decimal(100), unit="EA", need_date=D),
        ),
    )
    with session_scope(rt.sessionmaker) as session:
        report = erp.import_erp(
            session, rt, erp.ErpFile(purchase_orders=[order], production_orders=[production]), send=True
        )
    assert report.sent_kinds == ["850"]
    assert cases(rt, ExceptionType.PRODUCTION_AT_RISK) == []
    at_risk_subject = "production:MO-3001:item:FST-1002"

    # An 855 commits line 2 for D+3: production at risk, naming the production order.
    first = po_855(
        rt, isa13=501, at=dt.datetime(2025, 3, 6, 9, 0, tzinfo=dt.UTC), line_2_on=D + dt.timedelta(3)
    )
    assert receive(rt, first, "855_000000501.edi") == "processed"
    assert line_figures(rt, "2")[:2] == (Decimal(100), D + dt.timedelta(days=3))
    assert cases(rt, ExceptionType.PRODUCTION_AT_RISK) == [
        (ExceptionStatus.OPEN, at_risk_subject, ["MO-3001"])
    ]

    # A newer 855 (later BAK09 and GS date, higher ISA13) commits D-2: the exception resolves itself.
    newer = po_855(
        rt, isa13=502, at=dt.datetime(2025, 3, 7, 9, 0, tzinfo=dt.UTC), line_2_on=D - dt.timedelta(2)
    )
    assert receive(rt, newer, "855_000000502.edi") == "processed"
    assert line_figures(rt, "2")[:2] == (Decimal(100), D - dt.timedelta(days=2))
    assert cases(rt, ExceptionType.PRODUCTION_AT_RISK) == [
        (ExceptionStatus.AUTO_RESOLVED, at_risk_subject, ["MO-3001"])
    ]

    # The older 855 arriving again later: the same file is a duplicate, the same content in a new
    # interchange (ISA13 503, the old dates) is stale. Neither reopens anything.
    assert receive(rt, first, "855_000000501.edi") == "duplicate"
    again = po_855(
        rt, isa13=503, at=dt.datetime(2025, 3, 6, 9, 0, tzinfo=dt.UTC), line_2_on=D + dt.timedelta(3)
    )
    assert receive(rt, again, "855_000000503.edi") == "processed"
    assert line_figures(rt, "2")[:2] == (Decimal(100), D - dt.timedelta(days=2))
    assert cases(rt, ExceptionType.PRODUCTION_AT_RISK) == [
        (ExceptionStatus.AUTO_RESOLVED, at_risk_subject, ["MO-3001"])
    ]

    # An 856 for line 1 received twice, and replayed in a new interchange, counts once.
    shipped_at = dt.datetime(2025, 3, 20, 10, 0, tzinfo=dt.UTC)
    asn = ship_notice(rt, isa13=601, at=shipped_at, shipment_id="SH-1", line="1", quantity=100)
    assert receive(rt, asn, "856_000000601.edi") == "processed"
    assert receive(rt, asn, "856_000000601.edi") == "duplicate"
    replay = ship_notice(rt, isa13=602, at=shipped_at, shipment_id="SH-1", line="1", quantity=100)
    assert receive(rt, replay, "856_000000602.edi") == "processed"
    assert line_figures(rt, "1")[2] == Decimal(100)
    with session_scope(rt.sessionmaker) as session:
        shipments = session.scalars(select(db.Shipment).where(db.Shipment.partner_id == PARTNER)).all()
        assert [s.shipment_id for s in shipments] == ["SH-1"]

    # A shipment beyond the ordered quantity plus tolerance (2 %) opens an over_shipment exception.
    over = ship_notice(rt, isa13=603, at=shipped_at, shipment_id="SH-2", line="3", quantity=150)
    assert receive(rt, over, "856_000000603.edi") == "processed"
    assert line_figures(rt, "3")[2] == Decimal(150)
    assert [(status, subject) for status, subject, _ in cases(rt, ExceptionType.OVER_SHIPMENT)] == [
        (ExceptionStatus.OPEN, f"po:{PO}:line:3")
    ]

    # Our 850 with no 997 past the partner's window (4 hours): the monitors open an SLA exception...
    with session_scope(rt.sessionmaker) as session:
        (sent,) = session.scalars(select(db.OutboundMessage).where(db.OutboundMessage.kind == "850")).all()
        group, st02 = sent.group_control, sent.set_controls[0]
    assert group is not None
    subject = group_subject(PARTNER, "PO", group)
    with session_scope(rt.sessionmaker) as session:
        monitors.run(session, rt)
    assert cases(rt, ExceptionType.NO_FUNCTIONAL_ACK) == []  # not yet: the clock is at the 850's time
    rt.clock.advance(dt.timedelta(hours=5))
    with session_scope(rt.sessionmaker) as session:
        report_ = monitors.run(session, rt)
    assert f"no_functional_ack {subject}" in report_.opened
    assert [(s, subj) for s, subj, _ in cases(rt, ExceptionType.NO_FUNCTIONAL_ACK)] == [
        (ExceptionStatus.OPEN, subject)
    ]

    # ... which closes when the 997 arrives.
    ack = functional_ack(rt, isa13=701, at=NOW + dt.timedelta(hours=5), group=group, st02=st02)
    assert receive(rt, ack, "997_000000701.edi") == "processed"
    assert [(s, subj) for s, subj, _ in cases(rt, ExceptionType.NO_FUNCTIONAL_ACK)] == [
        (ExceptionStatus.AUTO_RESOLVED, subject)
    ]
    with session_scope(rt.sessionmaker) as session:
        (sent,) = session.scalars(select(db.OutboundMessage).where(db.OutboundMessage.kind == "850")).all()
        assert sent.status is db.OutboundStatus.ACCEPTED
