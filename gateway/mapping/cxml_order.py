"""OrderRequest out (cXML 1.2.050) from a canonical purchase order: the reverse map for partners
whose `outbound_format` is cxml.

Follows the DTD's element order: the header's Total, ShipTo, BillTo, Contact and (for an update)
the DocumentReference of the order it replaces; one ItemOut per line that is not cancelled, with
ItemID (SupplierPartID, BuyerPartID), ItemDetail (UnitPrice, Description, UnitOfMeasure,
Classification) and its ScheduleLines. `type="update"` carries the whole order again (cXML updates
replace, they are not deltas) with `orderVersion` = revision + 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from lxml import etree

from gateway import canonical
from gateway.formats.cxml import writer
from gateway.formats.cxml.model import Credential, DeploymentMode


@dataclass(frozen=True, slots=True)
class Parties:
    """Who an OrderRequest is from and to, and the Sender that authenticates it."""

    from_: Credential
    to: Credential
    sender: Credential  # with the SharedSecret
    user_agent: str


def _money(parent: etree._Element, tag: str, amount: Decimal, currency: str) -> None:
    writer.element(etree.SubElement(parent, tag), "Money", f"{amount.normalize():f}", currency=currency)


def order_request(
    po: canonical.PurchaseOrder,
    *,
    parties: Parties,
    payload_id: str,
    timestamp: datetime,
    deployment_mode: DeploymentMode = DeploymentMode.PRODUCTION,
    operation: Literal["new", "update"] = "new",
    previous_payload_id: str | None = None,
    bill_to: str = "",
    version: str = writer.VERSION,
) -> bytes:
    """The OrderRequest for `po` (see the module docstring). `previous_payload_id` names the order
    an update replaces; `bill_to` is our name on the BillTo address."""
    root = writer.document(payload_id, timestamp, version)
    header = etree.SubElement(root, "Header")
    writer.credential(header, "From", parties.from_)
    writer.credential(header, "To", parties.to)
    sender = writer.credential(header, "Sender", parties.sender, secret=True)
    writer.element(sender, "UserAgent", parties.user_agent)
    request = etree.SubElement(root, "Request", {"deploymentMode": str(deployment_mode)})
    order = etree.SubElement(request, "OrderRequest")
    lines = [line for line in po.lines if not line.cancelled]
    head = etree.SubElement(
        order,
        "OrderRequestHeader",
        {
            "orderID": po.po_number,
            "orderDate": po.order_date.isoformat(),
            "type": operation,
            "orderVersion": str(po.revision + 1),
        },
    )
    total = sum(
        (line.quantity * line.unit_price for line in lines if line.unit_price is not None), Decimal(0)
    )
    _money(head, "Total", total, po.currency)
    if po.ship_to is not None:
        address = etree.SubElement(etree.SubElement(head, "ShipTo"), "Address", {"addressID": po.ship_to})
        writer.lang_element(address, "Name", po.ship_to_name or po.ship_to)
    billing = etree.SubElement(etree.SubElement(head, "BillTo"), "Address")
    writer.lang_element(billing, "Name", bill_to or po.buyer_name or "Buyer")
    if po.buyer_name is not None or po.buyer_contact is not None:
        contact = etree.SubElement(head, "Contact", {"role": "buyer"})
        writer.lang_element(contact, "Name", po.buyer_name or po.buyer_contact or "")
        if po.buyer_contact is not None and "@" in po.buyer_contact:
            writer.element(contact, "Email", po.buyer_contact)
    if operation == "update" and previous_payload_id is not None:
        etree.SubElement(head, "DocumentReference", {"payloadID": previous_payload_id})
    for line in lines:
        _item_out(order, line, po.currency)
    return writer.serialise(root, version)


def _item_out(order: etree._Element, line: canonical.PurchaseOrderLine, currency: str) -> None:
    attrs = {"quantity": f"{line.quantity.normalize():f}", "lineNumber": line.line_number}
    if line.requested_date is not None:
        attrs["requestedDeliveryDate"] = line.requested_date.isoformat()
    item = etree.SubElement(order, "ItemOut", attrs)
    ids = etree.SubElement(item, "ItemID")
    writer.element(ids, "SupplierPartID", line.supplier_item or line.buyer_item)
    writer.element(ids, "BuyerPartID", line.buyer_item)
    detail = etree.SubElement(item, "ItemDetail")
    _money(detail, "UnitPrice", line.unit_price if line.unit_price is not None else Decimal(0), currency)
    writer.lang_element(detail, "Description", line.description or line.buyer_item)
    writer.element(detail, "UnitOfMeasure", line.unit)
    writer.element(detail, "Classification", line.buyer_item, domain="buyerPartID")
    for split in line.schedule:
        attrs = {"quantity": f"{split.quantity.normalize():f}"}
        if split.date is not None:
            attrs["requestedDeliveryDate"] = split.date.isoformat()
        schedule = etree.SubElement(item, "ScheduleLine", attrs)
        writer.element(schedule, "UnitOfMeasure", split.unit)
