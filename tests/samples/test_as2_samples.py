"""The AS2 sample partner (fjord-metalworks): its X12 documents under samples/as2/ read cleanly, are
addressed from its ISA id to ours, and name the purchase order of its orders.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.canonical import PurchaseOrder
from gateway.formats.x12 import model as x12
from gateway.formats.x12 import reader
from gateway.partners.registry import load_partners
from tests.pipeline.support import PARTNERS_DIR, SAMPLES

FOLDER = SAMPLES / "as2" / "fjord-metalworks"
FILES = sorted(FOLDER.glob("*.edi"))


def test_there_are_an_855_an_856_and_a_997() -> None:
    assert [p.name.split("_")[0] for p in FILES] == ["855", "856", "997"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_each_document_reads_without_issues_from_the_partner_to_us(path: Path) -> None:
    partner = load_partners(PARTNERS_DIR).get("fjord-metalworks")
    assert partner.x12 is not None
    items = list(reader.read(path.read_bytes(), file_name=path.name))
    header = next(i.header for i in items if isinstance(i, x12.InterchangeOpened))
    assert (header.sender_id.rstrip(), header.receiver_id.rstrip()) == (partner.x12.isa_id, "GATEWAYBUYER")
    closed = [i for i in items if isinstance(i, x12.InterchangeClosed)]
    assert [issue for c in closed for issue in c.issues] == []
    assert path.name == f"{path.name[:3]}_{header.control_number}.edi"


def test_the_orders_are_the_partners_and_their_items_are_in_its_cross_reference() -> None:
    partner = load_partners(PARTNERS_DIR).get("fjord-metalworks")
    data = json.loads((FOLDER / "orders.json").read_text())
    orders = [PurchaseOrder.model_validate(po) for po in data["purchase_orders"]]
    assert [po.partner_id for po in orders] == ["fjord-metalworks"]
    xref = {(x.buyer_item, x.supplier_item) for x in partner.items}
    assert {(ln.buyer_item, ln.supplier_item) for po in orders for ln in po.lines} <= xref
