"""PO revisions through the ERP import, on SQLite and PostgreSQL: a higher revision updates the order,
cancels lines, re-pegs, emits `purchase_order.revised` and tells the partner with an 860 (read back
here with the production X12 reader), or with a new 850 when its config says so; an older or equal
revision changes nothing and sends nothing."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway import canonical
from gateway.canonical import EventType, ExceptionType
from gateway.formats.issues import Severity
from gateway.formats.x12 import reader
from gateway.formats.x12.model import GroupClosed, InterchangeClosed, Segment, TransactionSet
from gateway.kit.clock import FixedClock
from gateway.pipeline import erp
from gateway.pipeline.runtime import Runtime, build_runtime
from gateway.store import models as db
from gateway.store.repositories.erp import PurchaseOrderRepository
from gateway.store.repositories.messaging import OutboxRepository
from gateway.store.session import session_scope
from tests.pipeline.support import NOW, PARTNERS_DIR, NewDatabase, settings_for

PARTNER = "acme-fasteners"
PO = "4600000010"
D = dt.date(2025, 4, 10)


def line(
    n: str, item: str, quantity: str, *, price: str = "0.50", day: dt.date = D, cancelled: bool = False
) -> canonical.PurchaseOrderLine:
    return canonical.PurchaseOrderLine(
        line_number=n,
        buyer_item=item,
        quantity=Decimal(quantity),
        unit="EA",
        unit_price=Decimal(price),
        requested_date=day,
        cancelled=cancelled,
    )


def order(revision: int, *lines: canonical.PurchaseOrderLine) -> canonical.PurchaseOrder:
    return canonical.PurchaseOrder(
        po_number=PO,
        revision=revision,
        partner_id=PARTNER,
        plant="P100",
        order_date=dt.date(2025, 3, 3),
        lines=lines,
    )


REV0 = order(
    0,
    line("1", "FST-1001", "100"),
    line("2", "FST-1002", "100"),
    line("3", "FST-1003", "100"),
    line("4", "FST-1004", "100"),
    line("5", "FST-1005", "100"),
)
REV1 = order(
    1,
    line("1", "FST-1001", "100"),  # unchanged
    line("2", "FST-1002", "60"),  # quantity decrease
    line("3", "FST-1003", "100", price="0.55"),  # price change
    line("4", "FST-1004", "100", day=D + dt.timedelta(days=7)),  # date change
    # line 5 dropped: deleted
    line("6", "FST-1006", "20"),  # added
)


def import_(rt: Runtime, *orders: canonical.PurchaseOrder, send: bool = True) -> erp.ImportReport:
    with session_scope(rt.sessionmaker) as session:
        return erp.import_erp(session, rt, erp.ErpFile(purchase_orders=list(orders)), send=send)


def read(path: str | None) -> TransactionSet:
    assert path is not None
    data = Path(path).read_bytes()
    items = list(reader.read(data, file_name=Path(path).name))
    errors = [
        i.message
        for item in items
        if isinstance(item, TransactionSet | GroupClosed | InterchangeClosed)
        for i in item.issues
        if i.severity is Severity.ERROR
    ]
    assert errors == []
    (ts,) = (item for item in items if isinstance(item, TransactionSet))
    return ts


def tagged(ts: TransactionSet, tag: str) -> list[Segment]:
    return [s for s in ts.segments if s.tag == tag]


def outbound_kinds(rt: Runtime) -> list[str]:
    with session_scope(rt.sessionmaker) as session:
        rows = session.scalars(select(db.OutboundMessage).order_by(db.OutboundMessage.created_at)).all()
        return [m.kind for m in rows]


def event_types(rt: Runtime) -> list[EventType]:
    with session_scope(rt.sessionmaker) as session:
        return [e.type for e in OutboxRepository(session).list_after(0, 1000)]


def test_a_higher_revision_updates_the_order_and_sends_the_partner_an_860_with_a_code_per_changed_line(
    runtime: Runtime,
) -> None:
    rt = runtime
    assert import_(rt, REV0).sent_kinds == ["850"]

    report = import_(rt, REV1)
    assert report.revised == [PO]
    assert report.sent_kinds == ["860"]
    ts = read(report.sent[0][2])
    assert ts.set_id == "860"
    assert ts.group is not None
    assert ts.group.functional_id == "PC"
    (bch,) = tagged(ts, "BCH")
    assert (bch.get(1), bch.get(2), bch.get(3), bch.get(5), bch.get(6)) == ("04", "SA", PO, "1", "20250303")
    assert [(s.get(1), s.get(2), s.get(3)) for s in tagged(ts, "POC")] == [
        ("2", "QD", "60"),
        ("3", "PC", "100"),
        ("4", "CA", "100"),
        ("6", "AI", "20"),
        ("5", "DI", "100"),
    ]
    assert [s.get(2) for s in tagged(ts, "DTM")] == ["20250417", "20250410"]  # line 4's new date, line 6's
    assert [s.get(1) for s in tagged(ts, "CTT")] == ["5"]

    with session_scope(rt.sessionmaker) as session:
        row = PurchaseOrderRepository(session).require(PO, partner_id=PARTNER)
        lines = {ln.line_number: ln for ln in row.lines}
        assert row.revision == 1
        assert lines["2"].quantity == Decimal(60)
        assert lines["3"].unit_price == Decimal("0.55")
        assert lines["4"].requested_on == D + dt.timedelta(days=7)
        assert lines["5"].cancelled
        assert not lines["6"].cancelled
    assert EventType.PURCHASE_ORDER_REVISED in event_types(rt)


def test_a_line_cancelled_in_place_is_a_delete_and_a_quantity_raise_is_an_increase(runtime: Runtime) -> None:
    rt = runtime
    import_(rt, REV0)
    rev = order(
        1,
        line("1", "FST-1001", "150"),
        line("2", "FST-1002", "100", cancelled=True),
        *REV0.lines[2:],
    )
    ts = read(import_(rt, rev).sent[0][2])
    assert [(s.get(1), s.get(2)) for s in tagged(ts, "POC")] == [("1", "QI"), ("2", "DI")]
    with session_scope(rt.sessionmaker) as session:
        row = PurchaseOrderRepository(session).require(PO, partner_id=PARTNER)
        assert {ln.line_number for ln in row.lines if ln.cancelled} == {"2"}


def test_an_older_or_equal_revision_changes_nothing_and_sends_nothing(runtime: Runtime) -> None:
    rt = runtime
    import_(rt, REV0)
    import_(rt, REV1)
    before = outbound_kinds(rt)

    for stale in (REV1.model_copy(update={"lines": REV1.lines[:1]}), REV0):
        report = import_(rt, stale)
        assert report.stale == [PO]
        assert report.sent == []

    assert outbound_kinds(rt) == before == ["850", "860"]
    with session_scope(rt.sessionmaker) as session:
        row = PurchaseOrderRepository(session).require(PO, partner_id=PARTNER)
        assert row.revision == 1
        assert {ln.line_number for ln in row.lines if not ln.cancelled} == {"1", "2", "3", "4", "6"}
    assert event_types(rt).count(EventType.PURCHASE_ORDER_STALE) == 2


def test_a_revision_that_changes_no_line_is_recorded_but_sends_nothing(runtime: Runtime) -> None:
    rt = runtime
    import_(rt, REV0)
    report = import_(rt, REV0.model_copy(update={"revision": 1}))
    assert report.revised == [PO]
    assert report.sent == []
    assert outbound_kinds(rt) == ["850"]


def test_a_revision_of_an_order_never_sent_goes_out_whole_as_an_850(runtime: Runtime) -> None:
    rt = runtime
    import_(rt, REV0, send=False)
    report = import_(rt, REV1)
    assert report.sent_kinds == ["850"]
    ts = read(report.sent[0][2])
    assert [s.get(1) for s in tagged(ts, "PO1")] == ["1", "2", "3", "4", "6"]


def test_a_revision_re_pegs_the_production_it_supplies(runtime: Runtime) -> None:
    rt = runtime
    mo = canonical.ProductionOrder(
        order_id="MO-9",
        plant="P100",
        start_date=D + dt.timedelta(days=10),
        components=(
            canonical.ComponentRequirement(
                item="FST-1002", quantity=Decimal(100), unit="EA", need_date=D + dt.timedelta(days=10)
            ),
        ),
    )
    with session_scope(rt.sessionmaker) as session:
        erp.import_erp(session, rt, erp.ErpFile(purchase_orders=[REV0], production_orders=[mo]), send=False)
    import_(rt, REV1, send=False)  # line 2 now 60 of the 100 needed
    with session_scope(rt.sessionmaker) as session:
        cases = session.scalars(
            select(db.ExceptionCase).where(db.ExceptionCase.type == ExceptionType.PRODUCTION_AT_RISK)
        ).all()
        assert [(c.status, c.impacted_production_orders) for c in cases] == [
            (canonical.ExceptionStatus.OPEN, ["MO-9"])
        ]


@pytest.fixture
def runtime_850_changes(fresh_database: NewDatabase, tmp_path: Path) -> Iterator[Runtime]:
    """A runtime whose acme-fasteners config says `po_changes: "850"`."""
    partners = tmp_path / "partners"
    shutil.copytree(PARTNERS_DIR, partners)
    config = partners / f"{PARTNER}.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("  request_997: true\n", '  request_997: true\n  po_changes: "850"\n'))
    settings = settings_for(tmp_path / "data", fresh_database()).model_copy(update={"partners_dir": partners})
    rt = build_runtime(settings, clock=FixedClock(NOW))
    try:
        yield rt
    finally:
        rt.close()


def test_a_partner_that_takes_po_changes_as_850s_gets_the_whole_new_revision(
    runtime_850_changes: Runtime,
) -> None:
    rt = runtime_850_changes
    import_(rt, REV0)
    report = import_(rt, REV1)
    assert report.sent_kinds == ["850"]
    ts = read(report.sent[0][2])
    assert [s.get(1) for s in tagged(ts, "PO1")] == ["1", "2", "3", "4", "6"]
    assert [(s.get(1), s.get(2)) for s in tagged(ts, "REF")][:1] == [("PP", "1")]


def test_an_860_left_without_a_997_past_the_window_opens_an_sla_case_for_its_pc_group(
    runtime: Runtime,
) -> None:
    from gateway.kit.clock import FixedClock
    from gateway.pipeline import monitors

    import_(runtime, REV0)
    import_(runtime, REV1)
    assert isinstance(runtime.clock, FixedClock)
    runtime.clock.advance(dt.timedelta(hours=5))  # acme's functional-ack window is 4 hours
    with session_scope(runtime.sessionmaker) as session:
        report = monitors.run(session, runtime)
    opened = [o for o in report.opened if o.startswith("no_functional_ack")]
    assert any(":group:PC:" in o for o in opened), opened
    assert any(":group:PO:" in o for o in opened), opened
