"""Outbound 850: what the gateway writes reads back, through the inbound 850 map, as the same order."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway import mapping
from gateway.canonical import models as canonical
from gateway.errors import MappingError
from gateway.formats.x12.model import Segment
from tests.mapping.x12text import interchange, transaction_sets

MAPS = Path(__file__).resolve().parents[2] / "edi_maps"
REGISTRY = mapping.MapRegistry.load(MAPS)
BUYER = mapping.Party(name="NORTHWIND MANUFACTURING", id="NWM")
SUPPLIER = mapping.Party(name="ACME FASTENERS", id="ACME")

_text = (
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-./ ", min_size=1, max_size=20)
    .map(str.strip)
    .filter(bool)
)
_code = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=10)
_qty = st.decimals(min_value=Decimal("0.001"), max_value=Decimal(10**7), places=3)
_price = st.decimals(min_value=Decimal(0), max_value=Decimal(10**5), places=4)
_day = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31))
_unit = st.sampled_from(["EA", "CA", "BX", "KG", "LB", "M"])

schedule_lines = st.builds(
    canonical.ScheduleLine,
    quantity=_qty,
    unit=_unit,
    date=_day,
    date_kind=st.sampled_from(["delivery", "ship"]),
)
lines = st.builds(
    canonical.PurchaseOrderLine,
    line_number=_code,
    buyer_item=_code,
    supplier_item=st.none() | _code,
    description=st.none() | _text,
    quantity=_qty,
    unit=_unit,
    unit_price=st.none() | _price,
    requested_date=st.none() | _day,
    schedule=st.lists(schedule_lines, max_size=3).map(tuple),
)
orders = st.builds(
    canonical.PurchaseOrder,
    po_number=_code,
    revision=st.integers(min_value=0, max_value=99),
    partner_id=st.just("acme"),
    plant=st.none() | _code,
    currency=st.sampled_from(["USD", "EUR", "CAD"]),
    order_date=_day,
    buyer_name=st.none() | _text,
    buyer_contact=st.none() | _text,
    ship_to=st.none() | _code,
    ship_to_name=st.none() | _text,
    lines=st.lists(lines, min_size=1, max_size=4).map(tuple),
)


def as_text(body: list[Segment], version: str) -> str:
    return interchange(
        ["*".join((s.tag, *s.elements)) for s in body], set_id="850", functional_id="PO", version=version
    )


def read_back(body: list[Segment], version: str) -> mapping.MappingResult:
    [ts] = transaction_sets(as_text(body, version))
    return mapping.translate_x12(REGISTRY, ts, mapping.MapContext(partner_id="acme", document_id="d"))


@pytest.mark.parametrize("version", ["004010", "005010"])
@settings(max_examples=60, deadline=None)
@given(po=orders)
def test_an_850_we_write_reads_back_as_the_same_order(version: str, po: canonical.PurchaseOrder) -> None:
    body = mapping.purchase_order_to_850(
        po, version=version, buyer=BUYER, supplier=SUPPLIER, map=REGISTRY.outbound("x12", "850", version)
    )
    result = read_back(body, version)
    assert result.issues == ()
    expected = po.model_copy(update={"buyer_name": po.buyer_name or BUYER.name})
    assert result.events == (expected,)


def test_writes_the_expected_segments() -> None:
    po = canonical.PurchaseOrder(
        po_number="4500012345",
        partner_id="acme",
        order_date=dt.date(2024, 3, 10),
        ship_to="P2",
        ship_to_name="PLANT 2",
        lines=(
            canonical.PurchaseOrderLine(
                line_number="10",
                buyer_item="NW-1",
                supplier_item="AF-1",
                quantity=Decimal("500.000"),
                unit="EA",
                unit_price=Decimal("0.4200"),
                schedule=(
                    canonical.ScheduleLine(quantity=Decimal(500), unit="EA", date=dt.date(2024, 3, 25)),
                ),
            ),
        ),
    )
    body = mapping.purchase_order_to_850(
        po, version="004010", buyer=BUYER, supplier=SUPPLIER, map=REGISTRY.outbound("x12", "850", "004010")
    )
    assert ["*".join((s.tag, *s.elements)) for s in body] == [
        "BEG*00*SA*4500012345**20240310",
        "CUR*BY*USD",
        "N1*BY*NORTHWIND MANUFACTURING*92*NWM",
        "N1*ST*PLANT 2*92*P2",
        "N1*SU*ACME FASTENERS*92*ACME",
        "PO1*10*500*EA*0.42*PE*BP*NW-1*VP*AF-1",
        "SCH*500*EA***002*20240325",
        "CTT*1",
    ]
    assert [s.position for s in body] == list(range(2, 10))


def test_refuses_a_release_the_outbound_map_does_not_write() -> None:
    po = canonical.PurchaseOrder(po_number="1", partner_id="acme", order_date=dt.date(2024, 1, 1), lines=())
    with pytest.raises(MappingError):
        mapping.purchase_order_to_850(
            po,
            version="003050",
            buyer=BUYER,
            supplier=SUPPLIER,
            map=REGISTRY.outbound("x12", "850", "004010"),
        )
