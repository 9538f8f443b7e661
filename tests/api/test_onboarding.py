"""Onboarding by config alone, on the real app and database (SQLite and PostgreSQL): a supplier that
did not exist is added by writing one partner file (and its secret files), the running app reads it
on `POST /v1/admin/partners/reload`, and from then on its signed portal webhook, its cXML ship
notice and the EDIFACT DESADV it drops in its file-drop inbox are accepted and correlated with its
purchase order. No code, no restart.

The partner's quirk (it ships in cases of 12) lives in its file as a unit conversion.
"""

from __future__ import annotations

import base64
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from gateway.channels import filedrop as filedrop_channel
from gateway.channels.webhook_out import sign
from gateway.pipeline import filedrop
from gateway.pipeline.runtime import Runtime
from tests.api.builders import AT
from tests.api.tenants import Tenants
from tests.db_fixtures import unique_id

pytestmark = pytest.mark.anyio

SHARED_SECRET = "harbor-onboarding-shared-secret"
WEBHOOK_KEY = b"harbor-castings-portal-demo-key!"


@dataclass(frozen=True)
class NewSupplier:
    partner_id: str
    duns: str  # its cXML From credential
    account: str  # its SupplyHub account
    gln: str  # its UNB sender id (qualifier 14)
    po_number: str


@pytest.fixture
def supplier(tenants: Tenants) -> NewSupplier:
    suffix = unique_id("h").replace("-", "").upper()[-10:]
    return NewSupplier(
        partner_id=unique_id("harbor-castings"),
        duns=f"77{suffix}",
        account=f"HC-{suffix}",
        gln=f"40{int(suffix, 16) % 10**11:011d}",
        po_number=unique_id("PO"),
    )


def write_partner_file(partners_dir: Path, s: NewSupplier) -> Path:
    """What an integration engineer writes to onboard the supplier: its file and two secret files."""
    secrets = partners_dir / "secrets"
    secrets.mkdir(exist_ok=True)
    (secrets / f"{s.partner_id}.shared-secret").write_text(SHARED_SECRET + "\n")
    (secrets / f"{s.partner_id}.whsec").write_text(f"whsec_{base64.b64encode(WEBHOOK_KEY).decode()}\n")
    config: dict[str, Any] = {
        "id": s.partner_id,
        "name": "Harbor Castings Ltd.",
        "enabled": True,
        "mode": "production",
        "currency": "USD",
        "order_format": "none",
        "cxml": {
            "domain": "DUNS",
            "identity": s.duns,
            "shared_secret": f"file:secrets/{s.partner_id}.shared-secret",
        },
        "edifact": {"unb_id": s.gln, "unb_qualifier": "14", "contrl": "on_request"},
        "channels": {"filedrop": {"root": f"filedrop/{s.partner_id}"}},
        "portal": {
            "portal": "supplyhub",
            "account": s.account,
            "secrets": [f"file:secrets/{s.partner_id}.whsec"],
            "map": "json/portal/supplyhub.yaml",
        },
        "items": [
            {"buyer_item": "CST-5001", "supplier_item": "HC-HUB-90"},
            {"buyer_item": "CST-5002", "supplier_item": "HC-FLG-40"},
        ],
        "units": [{"from_unit": "CS", "to_unit": "EA", "factor": 12}],
        "tolerances": {"quantity_pct": 0, "price_pct": 1, "days_early": 5, "days_late": 1},
    }
    path = partners_dir / f"{s.partner_id}.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def purchase_order(s: NewSupplier) -> dict[str, Any]:
    line = {"unit": "EA", "requested_date": "2026-03-20"}
    return {
        "po_number": s.po_number,
        "revision": 0,
        "partner_id": s.partner_id,
        "plant": "P100",
        "currency": "USD",
        "order_date": "2026-03-02",
        "lines": [
            line
            | {"line_number": "1", "buyer_item": "CST-5001", "supplier_item": "HC-HUB-90"}
            | {"quantity": "120", "unit_price": "14.20"},
            line
            | {"line_number": "2", "buyer_item": "CST-5002", "supplier_item": "HC-FLG-40"}
            | {"quantity": "48", "unit_price": "6.05"},
        ],
    }


def confirmation_event(s: NewSupplier, event_id: str) -> bytes:
    """SupplyHub's "order confirmed": both lines accepted as ordered."""

    def line(number: str, buyer: str, supplier: str, qty: str, price: str) -> dict[str, Any]:
        return {
            "line": number,
            "item": {"buyer_sku": buyer, "supplier_sku": supplier},
            "ordered_qty": qty,
            "uom": "EA",
            "price": price,
            "schedule": [{"status": "accepted", "qty": qty, "delivery_date": "2026-03-19"}],
        }

    event = {
        "id": event_id,
        "type": "order.confirmed",
        "created_at": "2026-03-03T09:00:00Z",
        "account": {"id": s.account, "name": "Harbor Castings Ltd."},
        "data": {
            "order_number": s.po_number,
            "confirmation_number": f"HC-C-{event_id[-6:]}",
            "revision": 1,
            "confirmed_at": "2026-03-03T08:59:00Z",
            "status": "accepted",
            "currency": "USD",
            "lines": [
                line("1", "CST-5001", "HC-HUB-90", "120", "14.20"),
                line("2", "CST-5002", "HC-FLG-40", "48", "6.05"),
            ],
        },
    }
    return json.dumps(event).encode()


def webhook_headers(body: bytes, message_id: str) -> dict[str, str]:
    stamp = int(AT.timestamp())
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": sign(WEBHOOK_KEY, message_id, stamp, body),
    }


def ship_notice(s: NewSupplier, *, secret: str = SHARED_SECRET) -> bytes:
    """A cXML ShipNoticeRequest for line 1, counted in cases of 12 (10 CS = 120 EA)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<cXML payloadID="{unique_id("asn")}@harbor.example" timestamp="2026-03-16T10:00:00+00:00" version="1.2.050">
  <Header>
    <From><Credential domain="DUNS"><Identity>{s.duns}</Identity></Credential></From>
    <To><Credential domain="NetworkID"><Identity>GATEWAYBUYER</Identity></Credential></To>
    <Sender>
      <Credential domain="DUNS">
        <Identity>{s.duns}</Identity><SharedSecret>{secret}</SharedSecret>
      </Credential>
      <UserAgent>Harbor shipping desk</UserAgent>
    </Sender>
  </Header>
  <Request deploymentMode="production">
    <ShipNoticeRequest>
      <ShipNoticeHeader shipmentID="HC-ASN-{s.po_number[-6:]}" operation="new"
                        noticeDate="2026-03-16T10:00:00+00:00" shipmentDate="2026-03-16T08:00:00+00:00"
                        deliveryDate="2026-03-18T10:00:00+00:00"/>
      <ShipControl><CarrierIdentifier domain="SCAC">ODFL</CarrierIdentifier></ShipControl>
      <ShipNoticePortion>
        <OrderReference orderID="{s.po_number}"/>
        <ShipNoticeItem lineNumber="1" quantity="10">
          <ItemID><SupplierPartID>HC-HUB-90</SupplierPartID><BuyerPartID>CST-5001</BuyerPartID></ItemID>
          <UnitOfMeasure>CS</UnitOfMeasure>
        </ShipNoticeItem>
      </ShipNoticePortion>
    </ShipNoticeRequest>
  </Request>
</cXML>""".encode()


def desadv(s: NewSupplier) -> bytes:
    """An EDIFACT DESADV (D96A) for line 2: one pallet (SSCC), 48 EA, asking for a CONTRL."""
    ref = s.po_number[-8:].upper()
    segments = [
        "UNA:+.? '",
        f"UNB+UNOC:3+{s.gln}:14+GATEWAYBUYER:ZZZ+260317:0900+HC{ref}++++1'",
        "UNH+1+DESADV:D:96A:UN'",
        f"BGM+351+HC-DN-{ref}+9'",
        "DTM+137:202603170900:203'",
        "DTM+11:20260317:102'",
        "DTM+17:20260319:102'",
        f"RFF+ON:{s.po_number}'",
        "CPS+1'",
        "PAC+1++201'",
        "GIN+BJ+340123450000009991'",
        "LIN+1'",
        "PIA+1+HC-FLG-40:SA'",
        "QTY+12:48:EA'",
        f"RFF+ON:{s.po_number}:2'",
        "CNT+2:1'",
        "UNT+15+1'",
        f"UNZ+1+HC{ref}'",
    ]
    return "\n".join(segments).encode()


def cxml_status(response: httpx.Response) -> str:
    from gateway.formats.cxml.model import read_envelope
    from gateway.formats.cxml.parser import parse

    envelope, _ = read_envelope(parse(response.content))
    assert envelope.status is not None
    return envelope.status.code


async def test_a_supplier_added_by_one_partner_file_is_accepted_and_correlated_after_a_reload(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, runtime: Runtime, supplier: NewSupplier
) -> None:
    partners_dir = runtime.settings.partners_dir
    event_id = unique_id("evt")
    event = confirmation_event(supplier, event_id)

    # Before: nobody knows these credentials.
    refused = await anonymous.post("/cxml", content=ship_notice(supplier))
    assert cxml_status(refused) == "401"
    unknown = await anonymous.post(
        "/v1/webhooks/supplyhub", content=event, headers=webhook_headers(event, event_id)
    )
    assert unknown.status_code in (401, 404), unknown.text

    # Onboarding: one file, then the running app reads partners/ again.
    write_partner_file(partners_dir, supplier)
    reloaded = await client.post("/v1/admin/partners/reload", json={})
    assert reloaded.status_code == 200, reloaded.text
    partner = await client.get(f"/v1/partners/{supplier.partner_id}")
    assert partner.status_code == 200, partner.text

    ordered = await client.post("/v1/purchase-orders", json=purchase_order(supplier))
    assert ordered.status_code == 202, ordered.text

    # The portal confirms the order (a new webhook id: the refused one was never processed).
    event_id = unique_id("evt")
    event = confirmation_event(supplier, event_id)
    confirmed = await anonymous.post(
        "/v1/webhooks/supplyhub", content=event, headers=webhook_headers(event, event_id)
    )
    assert confirmed.status_code in (200, 202), confirmed.text

    # A wrong SharedSecret is still refused; the right one ships line 1 in cases.
    assert cxml_status(await anonymous.post("/cxml", content=ship_notice(supplier, secret="guess"))) == "401"
    shipped = await anonymous.post("/cxml", content=ship_notice(supplier))
    assert cxml_status(shipped) == "200", shipped.text

    # Its DESADV lands in its new file-drop inbox and is picked up as `gateway channels run` does.
    box = filedrop_channel.mailbox_for(runtime.settings.data_dir, f"filedrop/{supplier.partner_id}").ensure()
    (box.inbox / "DESADV.edi").write_bytes(desadv(supplier))
    os.utime(box.inbox / "DESADV.edi", (time.time() - 60, time.time() - 60))
    (pickup,) = filedrop.sweep(runtime, partner_id=supplier.partner_id).pickups
    assert pickup.outcome == "archived", pickup.reason
    assert [p.name for p in box.outbox.iterdir()] != []  # the CONTRL it asked for

    po = (await client.get(f"/v1/purchase-orders/{supplier.po_number}")).json()
    lines = {
        ln["line_number"]: (ln["ack_status"], ln["committed_quantity"], ln["shipped_quantity"])
        for ln in po["lines"]
    }
    assert lines == {
        "1": ("accepted", "120.0000", "120.0000"),
        "2": ("accepted", "48.0000", "48.0000"),
    }
    documents = (await client.get("/v1/documents", params={"partner_id": supplier.partner_id})).json()
    assert sorted((d["doc_type"], d["status"]) for d in documents["items"]) == [
        ("DESADV", "correlated"),
        ("ShipNoticeRequest", "correlated"),
        ("confirmation", "correlated"),
    ]
    exceptions = (await client.get("/v1/exceptions", params={"partner_id": supplier.partner_id})).json()
    assert [e["type"] for e in exceptions["items"]] == []
