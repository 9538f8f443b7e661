"""Production at risk through the pipeline, on SQLite and PostgreSQL: a PO with three lines, a
production order that needs line 2's component on day D; commitments and shipments open and
auto-resolve the production_at_risk case, one open case per subject, stale updates reopen nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from gateway import canonical, correlation
from gateway.canonical import ExceptionStatus, ExceptionType
from gateway.pipeline import erp
from gateway.pipeline.correlate import Applier
from gateway.pipeline.runtime import Runtime
from gateway.store import models as db
from gateway.store.repositories.cases import ExceptionRepository
from gateway.store.repositories.erp import PurchaseOrderRepository
from gateway.store.session import session_scope
from tests.pipeline.support import NOW

PARTNER = "acme-fasteners"
PO = "4600000001"
D = dt.date(2025, 4, 10)
SUBJECT = "production:MO-1:item:FST-1002"


def purchase_order(*, quantity_2: str = "100", revision: int = 0) -> canonical.PurchaseOrder:
    return canonical.PurchaseOrder(
        po_number=PO,
        revision=revision,
        partner_id=PARTNER,
        plant="P100",
        order_date=dt.date(2025, 3, 3),
        lines=tuple(
            canonical.PurchaseOrderLine(
                line_number=str(n),
                buyer_item=item,
                quantity=Decimal(quantity_2 if n == 2 else "100"),
                unit="EA",
                requested_date=D - dt.timedelta(days=5),
            )
            for n, item in ((1, "FST-1001"), (2, "FST-1002"), (3, "FST-1003"))
        ),
    )


def production_order(quantity: str = "100") -> canonical.ProductionOrder:
    return canonical.ProductionOrder(
        order_id="MO-1",
        plant="P100",
        start_date=D,
        components=(
            canonical.ComponentRequirement(
                item="FST-1002", quantity=Decimal(quantity), unit="EA", need_date=D
            ),
        ),
    )


def import_erp(rt: Runtime, erp_file: erp.ErpFile) -> None:
    with session_scope(rt.sessionmaker) as session:
        erp.import_erp(session, rt, erp_file, send=False)


def commit(rt: Runtime, seq: int, date: dt.date, *, quantity: str = "100", line: str = "2") -> None:
    c = canonical.Commitment(
        partner_id=PARTNER,
        document_id=f"doc-855-{seq}",
        occurred_at=NOW,
        po_number=PO,
        line_number=line,
        status=canonical.CommitmentStatus.ACCEPTED,
        quantity=Decimal(quantity),
        unit="EA",
        committed_date=date,
        version=canonical.VersionStamp(issued_at=NOW + dt.timedelta(minutes=seq), sequence=seq),
    )
    with session_scope(rt.sessionmaker) as session:
        applier = Applier(session, correlation_id=c.document_id, now=NOW, partners=rt.partners)
        applier.commitment(c, correlation.PartnerTerms.from_config(rt.partners.get(PARTNER)))


def ship(rt: Runtime, seq: int, quantity: str, expected: dt.date) -> None:
    s = canonical.Shipment(
        partner_id=PARTNER,
        document_id=f"doc-856-{seq}",
        occurred_at=NOW,
        shipment_id="ASN-1",
        expected_delivery=expected,
        lines=(canonical.ShipmentLine(po_number=PO, line_number="2", quantity=Decimal(quantity), unit="EA"),),
        version=canonical.VersionStamp(issued_at=NOW + dt.timedelta(minutes=seq), sequence=seq),
    )
    with session_scope(rt.sessionmaker) as session:
        applier = Applier(session, correlation_id=s.document_id, now=NOW, partners=rt.partners)
        applier.shipment(s, correlation.PartnerTerms.from_config(rt.partners.get(PARTNER)))


def at_risk(rt: Runtime) -> list[db.ExceptionCase]:
    with session_scope(rt.sessionmaker) as session:
        rows = ExceptionRepository(session).list(type=ExceptionType.PRODUCTION_AT_RISK, limit=1000)
        session.expunge_all()
        return list(rows)


def active(rt: Runtime) -> list[db.ExceptionCase]:
    return [r for r in at_risk(rt) if r.status in (ExceptionStatus.OPEN, ExceptionStatus.ACKNOWLEDGED)]


def test_a_late_commitment_opens_production_at_risk_and_a_newer_one_in_time_resolves_it(
    runtime: Runtime,
) -> None:
    rt = runtime
    import_erp(rt, erp.ErpFile(purchase_orders=[purchase_order()], production_orders=[production_order()]))
    assert at_risk(rt) == []  # requested five days before the need

    commit(rt, 1, D + dt.timedelta(days=3))
    (case,) = active(rt)
    assert case.subject == SUBJECT
    assert case.impacted_production_orders == ["MO-1"]
    assert (case.po_number, case.line_number, case.document_id) == (PO, "2", "doc-855-1")
    assert case.details["days_late"] == "3"
    assert case.details["expected_supply_date"] == "2025-04-13"
    assert case.details["po_lines"] == f"{PO}/2"

    commit(rt, 2, D - dt.timedelta(days=2))
    assert active(rt) == []
    (closed,) = at_risk(rt)
    assert closed.status is ExceptionStatus.AUTO_RESOLVED

    commit(rt, 1, D + dt.timedelta(days=3))  # the older 855 arriving again: stale, reopens nothing
    assert active(rt) == []
    assert len(at_risk(rt)) == 1


def test_one_open_case_per_subject_refreshed_as_the_figures_change(runtime: Runtime) -> None:
    rt = runtime
    import_erp(rt, erp.ErpFile(purchase_orders=[purchase_order()], production_orders=[production_order()]))
    commit(rt, 1, D + dt.timedelta(days=3))
    commit(rt, 2, D + dt.timedelta(days=6))
    (case,) = at_risk(rt)
    assert case.details["days_late"] == "6"


def test_a_short_commitment_is_at_risk_until_a_shipment_in_time_covers_the_need(runtime: Runtime) -> None:
    rt = runtime
    import_erp(rt, erp.ErpFile(purchase_orders=[purchase_order()], production_orders=[production_order()]))
    commit(rt, 1, D, quantity="60")
    (case,) = active(rt)
    assert case.details["quantity_short"] == "40"

    ship(rt, 3, "100", D - dt.timedelta(days=1))  # the supplier ships all 100 after all
    assert active(rt) == []


def test_a_production_order_that_no_longer_needs_the_item_resolves_its_case(runtime: Runtime) -> None:
    rt = runtime
    import_erp(rt, erp.ErpFile(purchase_orders=[purchase_order()], production_orders=[production_order()]))
    commit(rt, 1, D + dt.timedelta(days=3))
    assert len(active(rt)) == 1

    import_erp(rt, erp.ErpFile(production_orders=[production_order("0")]))
    assert active(rt) == []


def test_a_po_revision_that_raises_the_quantity_covers_a_bigger_need(runtime: Runtime) -> None:
    rt = runtime
    import_erp(
        rt, erp.ErpFile(purchase_orders=[purchase_order()], production_orders=[production_order("150")])
    )
    (case,) = active(rt)
    assert case.details["quantity_short"] == "50"

    import_erp(rt, erp.ErpFile(purchase_orders=[purchase_order(quantity_2="150", revision=1)]))
    assert active(rt) == []


# ---------------------------------------------------------------- goods receipts and stock


def receipt(receipt_id: str, quantity: str, *, unit: str = "EA") -> canonical.GoodsReceipt:
    return canonical.GoodsReceipt(
        receipt_id=receipt_id,
        po_number=PO,
        line_number="2",
        quantity=Decimal(quantity),
        unit=unit,
        received_on=D - dt.timedelta(days=1),
    )


def line_2(rt: Runtime) -> db.PurchaseOrderLine:
    with session_scope(rt.sessionmaker) as session:
        row = PurchaseOrderRepository(session).line(PARTNER, PO, "2")
        assert row is not None
        session.expunge(row)
        return row


def test_a_goods_receipt_sets_the_received_quantity_once_per_receipt_id(runtime: Runtime) -> None:
    rt = runtime
    import_erp(rt, erp.ErpFile(purchase_orders=[purchase_order()], production_orders=[production_order()]))
    ship(rt, 1, "100", D - dt.timedelta(days=2))
    import_erp(rt, erp.ErpFile(goods_receipts=[receipt("GR-1", "60"), receipt("GR-2", "40")]))
    import_erp(rt, erp.ErpFile(goods_receipts=[receipt("GR-1", "60")]))  # the same receipt again
    row = line_2(rt)
    assert (row.shipped_quantity, row.received_quantity) == (Decimal(100), Decimal(100))
    assert row.ledger is not None
    assert Decimal(row.ledger["received_quantity"]) == Decimal(100)

    import_erp(rt, erp.ErpFile(goods_receipts=[receipt("GR-2", "30")]))  # the ERP corrected GR-2
    assert line_2(rt).received_quantity == Decimal(90)


def test_a_receipt_for_an_unknown_line_is_recorded_and_reported(runtime: Runtime) -> None:
    rt = runtime
    import_erp(rt, erp.ErpFile(purchase_orders=[purchase_order()]))
    unknown = receipt("GR-9", "5").model_copy(update={"line_number": "9"})
    with session_scope(rt.sessionmaker) as session:
        report = erp.import_erp(session, rt, erp.ErpFile(goods_receipts=[unknown]), send=False)
    assert (report.goods_receipts, report.unmatched_receipts) == (["GR-9"], ["GR-9"])


def test_received_goods_leave_transit_and_on_hand_stock_covers_the_need(runtime: Runtime) -> None:
    rt = runtime
    import_erp(rt, erp.ErpFile(purchase_orders=[purchase_order()], production_orders=[production_order()]))
    ship(rt, 1, "100", D + dt.timedelta(days=4))  # in transit, arriving late
    assert len(active(rt)) == 1

    # Booked in early: no longer in transit; the ERP's stock says it is on hand.
    stock = canonical.StockLevel(item="FST-1002", plant="P100", quantity=Decimal(100), unit="EA")
    import_erp(rt, erp.ErpFile(goods_receipts=[receipt("GR-1", "100")], stock=[stock]))
    assert active(rt) == []
