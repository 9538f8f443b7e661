"""cXML out: the synchronous Response (read back through the hardened parser) and the OrderRequest
written from a canonical purchase order."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from gateway import canonical
from gateway.formats.cxml import writer
from gateway.formats.cxml.model import Credential, DeploymentMode, Kind, read_envelope
from gateway.formats.cxml.parser import parse
from gateway.formats.tree import Node
from gateway.mapping.cxml_order import Parties, order_request

AT = datetime(2025, 3, 5, 15, 0, tzinfo=UTC)
PARTIES = Parties(
    from_=Credential("NetworkID", "BUYER-NET"),
    to=Credential("DUNS", "987654321"),
    sender=Credential("NetworkID", "BUYER-NET", "s3cret"),
    user_agent="Gateway 0.1",
)
PO = canonical.PurchaseOrder(
    po_number="4500004001",
    revision=0,
    partner_id="dunmore-packaging",
    plant="P100",
    currency="USD",
    order_date=date(2025, 3, 3),
    buyer_name="Jordan Rivera",
    buyer_contact="purchasing@gateway-mfg.example",
    ship_to="P100",
    ship_to_name="Plant P100",
    lines=(
        canonical.PurchaseOrderLine(
            line_number="1",
            buyer_item="PKG-4001",
            supplier_item="DP-BOX-40",
            description="Carton 40x30x20 & lid",
            quantity=Decimal("400"),
            unit="EA",
            unit_price=Decimal("1.25"),
            requested_date=date(2025, 3, 18),
            schedule=(canonical.ScheduleLine(quantity=Decimal("400"), unit="EA", date=date(2025, 3, 18)),),
        ),
        canonical.PurchaseOrderLine(
            line_number="2", buyer_item="PKG-4002", quantity=Decimal("10"), unit="RL", cancelled=True
        ),
    ),
)


def text_at(root: Node, path: str) -> str:
    node: Node | None = root
    for step in path.split("/"):
        assert node is not None, path
        node = node.first(step)
    assert node is not None, path
    return node.value()


@pytest.mark.parametrize("code", list(writer.StatusCode))
def test_every_status_reads_back_with_its_code_and_text(code: writer.StatusCode) -> None:
    data = writer.response(code, payload_id="r-1@gateway", timestamp=AT, message="why & how <now>")
    envelope, issues = read_envelope(parse(data))
    assert issues == ()
    assert envelope.kind is Kind.RESPONSE
    assert envelope.status is not None
    assert (envelope.status.code, envelope.status.text) == (str(int(code)), code.text)
    assert envelope.status.message == "why & how <now>"
    assert envelope.timestamp == AT
    assert code.retryable is (int(code) >= 500)


def test_a_response_names_the_cxml_dtd_and_carries_no_secret() -> None:
    data = writer.response(writer.StatusCode.UNAUTHORIZED, payload_id="r", timestamp=AT)
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<!DOCTYPE cXML SYSTEM")
    assert b"1.2.050/cXML.dtd" in data


def test_order_request_reads_back_as_the_purchase_order() -> None:
    data = order_request(PO, parties=PARTIES, payload_id="o-1@gateway", timestamp=AT, bill_to="Gateway Mfg")
    envelope, issues = read_envelope(parse(data))
    assert issues == ()
    assert envelope.name == "OrderRequest"
    assert envelope.from_ == (PARTIES.from_,)
    assert envelope.to == (PARTIES.to,)
    assert envelope.shared_secret == "s3cret"
    assert envelope.deployment_mode is DeploymentMode.PRODUCTION
    body = envelope.body
    assert body is not None
    header = body.first("OrderRequestHeader")
    assert header is not None
    assert {c.name: c.value() for c in header.children if c.is_attribute} == {
        "@orderID": "4500004001",
        "@orderDate": "2025-03-03",
        "@type": "new",
        "@orderVersion": "1",
    }
    assert text_at(header, "Total/Money") == "500"
    assert text_at(header, "ShipTo/Address/Name") == "Plant P100"
    assert text_at(header, "BillTo/Address/Name") == "Gateway Mfg"
    assert text_at(header, "Contact/Email") == "purchasing@gateway-mfg.example"
    items = list(body.named("ItemOut"))
    assert len(items) == 1  # the cancelled line is not ordered
    (item,) = items
    assert text_at(item, "@lineNumber") == "1"
    assert text_at(item, "@quantity") == "400"
    assert text_at(item, "@requestedDeliveryDate") == "2025-03-18"
    assert text_at(item, "ItemID/SupplierPartID") == "DP-BOX-40"
    assert text_at(item, "ItemID/BuyerPartID") == "PKG-4001"
    assert text_at(item, "ItemDetail/UnitPrice/Money") == "1.25"
    assert text_at(item, "ItemDetail/Description") == "Carton 40x30x20 & lid"
    assert text_at(item, "ItemDetail/UnitOfMeasure") == "EA"
    assert text_at(item, "ScheduleLine/@quantity") == "400"


def test_an_update_carries_its_version_and_the_order_it_replaces() -> None:
    revised = PO.model_copy(update={"revision": 2})
    data = order_request(
        revised,
        parties=PARTIES,
        payload_id="o-2@gateway",
        timestamp=AT,
        operation="update",
        previous_payload_id="o-1@gateway",
        deployment_mode=DeploymentMode.TEST,
    )
    envelope, _ = read_envelope(parse(data))
    assert envelope.is_test
    assert envelope.body is not None
    header = envelope.body.first("OrderRequestHeader")
    assert header is not None
    assert text_at(header, "@type") == "update"
    assert text_at(header, "@orderVersion") == "3"
    assert text_at(header, "DocumentReference/@payloadID") == "o-1@gateway"


def test_timestamps_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        writer.response(writer.StatusCode.OK, payload_id="r", timestamp=datetime(2025, 1, 1))
