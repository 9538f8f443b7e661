"""SLA monitors on SQLite and PostgreSQL, with the runtime's fixed clock moved on: a missing 997, a
missing CONTRL for our ORDERS, a missing 855 and a missing shipment each open one case, and the
document that was missing closes it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from gateway import canonical
from gateway.canonical import ExceptionType
from gateway.kit.clock import FixedClock
from gateway.pipeline import erp, ingest, monitors
from gateway.pipeline.runtime import Runtime
from gateway.store.repositories.cases import ACTIVE, ExceptionRepository
from gateway.store.session import session_scope
from tests.pipeline.support import SAMPLES, case_keys, import_orders, sample

ACME_PO = "4500001001"
NFA, NPA, OVERDUE = (
    str(ExceptionType.NO_FUNCTIONAL_ACK),
    str(ExceptionType.NO_PO_ACK),
    str(ExceptionType.SHIPMENT_OVERDUE),
)


def run_monitors(rt: Runtime) -> monitors.MonitorReport:
    with session_scope(rt.sessionmaker) as session:
        return monitors.run(session, rt)


def advance(rt: Runtime, **delta: float) -> None:
    assert isinstance(rt.clock, FixedClock)
    rt.clock.advance(dt.timedelta(**delta))


def receive(rt: Runtime, partner: str, name: str) -> None:
    ingest.receive(rt, sample(partner, name), channel="test", file_name=name)


def sla_cases(rt: Runtime) -> set[tuple[str, str | None, str | None]]:
    return {k for k in case_keys(rt) if k[0] in (NFA, NPA, OVERDUE)}


def active_subjects(rt: Runtime, type_: ExceptionType) -> list[str]:
    with session_scope(rt.sessionmaker) as session:
        rows = ExceptionRepository(session).list(status=ACTIVE, type=type_, limit=1000)
        return sorted(r.subject for r in rows)


def test_nothing_is_overdue_within_the_partners_windows(runtime: Runtime) -> None:
    import_orders(runtime, send=True)
    advance(runtime, hours=3)  # every functional-ack window is at least 4 hours
    report = run_monitors(runtime)
    assert (report.opened, report.resolved) == ([], [])


def test_a_missing_997_and_855_open_cases_that_the_997_and_855_close(runtime: Runtime) -> None:
    rt = runtime
    import_orders(rt, send=True)
    advance(rt, hours=5)  # past acme's and cascade's 4 hours, within borealis's 8
    report = run_monitors(rt)
    assert sorted(report.opened) == [
        f"{NFA} partner:acme-fasteners:group:PO:1",
        f"{NFA} partner:cascade-electronics:group:PO:1",
    ]
    assert {(k[0], k[1]) for k in sla_cases(rt)} == {(NFA, None)}

    run_monitors(rt)  # running again opens no duplicate
    assert active_subjects(rt, ExceptionType.NO_FUNCTIONAL_ACK) == [
        "partner:acme-fasteners:group:PO:1",
        "partner:cascade-electronics:group:PO:1",
    ]

    advance(rt, hours=20)  # 25 hours: acme's and cascade's 855 windows (24 h) have passed
    run_monitors(rt)
    assert (NPA, ACME_PO, None) in sla_cases(rt)

    receive(rt, "acme-fasteners", "997_000000417.edi")
    receive(rt, "acme-fasteners", "855_000000418.edi")
    assert (NPA, ACME_PO, None) not in sla_cases(rt)
    with session_scope(rt.sessionmaker) as session:
        cases = ExceptionRepository(session).list(type=ExceptionType.NO_FUNCTIONAL_ACK, limit=100)
        by_partner = {c.partner_id: str(c.status) for c in cases}
    assert by_partner["acme-fasteners"] == "auto_resolved"
    assert by_partner["cascade-electronics"] == "open"


def test_a_missing_contrl_for_our_orders_opens_a_case_that_the_contrl_closes(runtime: Runtime) -> None:
    rt = runtime
    import_orders(rt, send=True)  # rheinwerk-bearings gets an ORDERS interchange asking for a CONTRL
    subject = "partner:rheinwerk-bearings:interchange:000000001"
    advance(rt, hours=23)  # within its 24 hours
    assert subject not in active_subjects(rt, ExceptionType.NO_FUNCTIONAL_ACK)
    assert not [o for o in run_monitors(rt).opened if "rheinwerk" in o]
    advance(rt, hours=2)
    assert f"{NFA} {subject}" in run_monitors(rt).opened
    with session_scope(rt.sessionmaker) as session:
        case = ExceptionRepository(session).list(
            status=ACTIVE, type=ExceptionType.NO_FUNCTIONAL_ACK, limit=100
        )
        found = next(c for c in case if c.subject == subject)
        assert "no CONTRL for our ORDERS interchange 000000001" in found.message
        assert found.expected == "a CONTRL within 24 hours"
    run_monitors(rt)  # running again opens no duplicate
    assert active_subjects(rt, ExceptionType.NO_FUNCTIONAL_ACK).count(subject) == 1

    contrl = (SAMPLES / "edifact" / "rheinwerk-bearings" / "CONTRL_RW0000101.edi").read_bytes()
    ingest.receive(rt, contrl, channel="test", file_name="CONTRL_RW0000101.edi")
    assert subject not in active_subjects(rt, ExceptionType.NO_FUNCTIONAL_ACK)
    assert not [o for o in run_monitors(rt).opened if "rheinwerk" in o]


def test_a_missing_acknowledgement_names_the_document_the_partner_answers_with(runtime: Runtime) -> None:
    rt = runtime
    import_orders(rt, send=True)
    advance(rt, hours=73)  # past acme's 24 hours and rheinwerk-bearings' 72
    run_monitors(rt)
    with session_scope(rt.sessionmaker) as session:
        rows = ExceptionRepository(session).list(status=ACTIVE, type=ExceptionType.NO_PO_ACK, limit=1000)
        by_partner = {row.partner_id: row for row in rows}
    acme, rheinwerk = by_partner["acme-fasteners"], by_partner["rheinwerk-bearings"]
    assert acme.message.startswith("no acknowledgement (855) of PO ")
    assert acme.expected == "an 855 within 24 hours"
    assert rheinwerk.message.startswith("no acknowledgement (ORDRSP) of PO ")  # it orders by EDIFACT
    assert rheinwerk.expected == "an ORDRSP within 72 hours"


def test_a_line_not_shipped_by_its_committed_date_plus_grace_is_overdue_until_shipped(
    runtime: Runtime,
) -> None:
    rt = runtime
    import_orders(rt, send=True)
    receive(rt, "acme-fasteners", "997_000000417.edi")
    receive(rt, "acme-fasteners", "855_000000418.edi")  # commits every line for 2025-03-17
    advance(rt, days=12)  # 2025-03-17 15:00: on the committed date, within the 1-day grace
    run_monitors(rt)
    assert not any(k[0] == OVERDUE for k in sla_cases(rt))

    advance(rt, days=2)  # 2025-03-19: past 03-17 + 1 day
    run_monitors(rt)
    assert {k for k in sla_cases(rt) if k[1] == ACME_PO} == {
        (OVERDUE, ACME_PO, "1"),
        (OVERDUE, ACME_PO, "2"),
        (OVERDUE, ACME_PO, "3"),
    }

    # The ERP books line 1 in without any ship notice: received in full is not overdue either.
    booked = canonical.GoodsReceipt(
        receipt_id="GR-1",
        po_number=ACME_PO,
        line_number="1",
        quantity=Decimal(5000),
        unit="EA",
        received_on=dt.date(2025, 3, 19),
    )
    with session_scope(rt.sessionmaker) as session:
        erp.import_erp(session, rt, erp.ErpFile(goods_receipts=[booked]), send=False)
    assert {k for k in sla_cases(rt) if k[1] == ACME_PO} == {(OVERDUE, ACME_PO, "2"), (OVERDUE, ACME_PO, "3")}

    receive(rt, "acme-fasteners", "856_000000431.edi")  # ships every line in full
    assert {k for k in sla_cases(rt) if k[1] == ACME_PO} == set()
