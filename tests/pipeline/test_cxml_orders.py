"""Purchase orders out as cXML OrderRequests to a partner endpoint served on loopback (real socket),
on SQLite and PostgreSQL: posted after the import commits, with our credentials and the partner's
SharedSecret; the synchronous Response marks the message; a refusal opens transmission_rejected; a
transient failure leaves it to be retried; a revision goes out as an update naming the first order."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from gateway.formats.cxml import writer
from gateway.formats.cxml.model import Envelope, read_envelope
from gateway.formats.cxml.parser import parse
from gateway.kit.clock import FixedClock
from gateway.pipeline import cxml_orders, erp
from gateway.pipeline.runtime import Runtime, build_runtime
from gateway.settings import Settings
from gateway.store import models as db
from gateway.store.session import session_scope
from tests.pipeline.support import MAPS_DIR, NOW, PARTNERS_DIR, SAMPLES, NewDatabase, case_keys

PARTNER = "dunmore-packaging"
SECRET = "dunmore-test-secret"


@dataclass
class Network:
    url: str = ""
    answer: int = 200  # the cXML Status it answers with
    received: list[Envelope] = field(default_factory=list)


@pytest.fixture
def network() -> Iterator[Network]:
    state = Network()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            envelope, _ = read_envelope(parse(body))
            state.received.append(envelope)
            code = writer.StatusCode(state.answer)
            reply = writer.response(code, payload_id="r@network", timestamp=datetime.now(UTC), message="seen")
            self.send_response(500 if code.retryable else 200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/cxml/orders"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def the_order() -> dict[str, Any]:
    orders = json.loads((SAMPLES / "erp" / "orders.json").read_text(encoding="utf-8"))
    po: dict[str, Any] = next(p for p in orders["purchase_orders"] if p["partner_id"] == PARTNER)
    return po


@pytest.fixture
def runtime(fresh_database: NewDatabase, tmp_path: Path, network: Network) -> Iterator[Runtime]:
    folder = tmp_path / "partners"
    folder.mkdir()
    text = (PARTNERS_DIR / f"{PARTNER}.yaml").read_text(encoding="utf-8")
    text = text.replace("file:../samples/secrets/dunmore-packaging.shared-secret", "file:shared.secret")
    text = text.replace("  # order_url: https://network.example/cxml/orders", f"  order_url: {network.url}")
    (folder / f"{PARTNER}.yaml").write_text(text, encoding="utf-8")
    (folder / "shared.secret").write_text(SECRET, encoding="utf-8")
    settings = Settings(
        data_dir=tmp_path / "data", database_url=fresh_database(), partners_dir=folder, maps_dir=MAPS_DIR
    )
    rt = build_runtime(settings, clock=FixedClock(NOW))
    assert rt.partners.get(PARTNER).outbound_format == "cxml"
    try:
        yield rt
    finally:
        rt.close()


def send(rt: Runtime, po: dict[str, Any]) -> erp.ImportReport:
    with session_scope(rt.sessionmaker) as session:
        return erp.import_erp(session, rt, erp.ErpFile.model_validate({"purchase_orders": [po]}), send=True)


def messages(rt: Runtime) -> list[tuple[str, str, str]]:
    with session_scope(rt.sessionmaker) as session:
        rows = session.scalars(select(db.OutboundMessage).order_by(db.OutboundMessage.created_at)).all()
        return [(m.kind, str(m.status), m.interchange_control or "") for m in rows]


def test_an_order_goes_out_as_an_order_request_and_the_response_marks_it(
    runtime: Runtime, network: Network
) -> None:
    report = send(runtime, the_order())

    assert report.sent_kinds == ["OrderRequest"]
    (envelope,) = network.received
    assert envelope.name == "OrderRequest"
    assert envelope.shared_secret == SECRET
    assert [str(c) for c in envelope.from_] == ["NetworkID:GATEWAYBUYER"]
    assert [str(c) for c in envelope.to] == ["DUNS:081466849"]
    assert envelope.body is not None
    header = envelope.body.first("OrderRequestHeader")
    assert header is not None
    assert {c.name: c.value() for c in header.children if c.is_attribute}["@orderID"] == "4500004001"
    assert len(list(envelope.body.named("ItemOut"))) == 3
    ((kind, status, payload_id),) = messages(runtime)
    assert (kind, status) == ("OrderRequest", "accepted")
    assert payload_id == envelope.payload_id


def test_a_refused_order_request_opens_transmission_rejected(runtime: Runtime, network: Network) -> None:
    network.answer = 400
    send(runtime, the_order())
    assert [(k, s) for k, s, _ in messages(runtime)] == [("OrderRequest", "rejected")]
    assert ("transmission_rejected", "4500004001", None) in case_keys(runtime)


def test_a_transient_failure_leaves_the_order_request_to_be_retried(
    runtime: Runtime, network: Network
) -> None:
    network.answer = 500
    send(runtime, the_order())
    assert [(k, s) for k, s, _ in messages(runtime)] == [("OrderRequest", "written")]
    with session_scope(runtime.sessionmaker) as session:
        (message_id,) = session.scalars(select(db.OutboundMessage.id)).all()
    network.answer = 201
    assert cxml_orders.deliver(runtime, message_id) is None
    assert [(k, s) for k, s, _ in messages(runtime)] == [("OrderRequest", "sent")]
    assert len(network.received) == 2
    assert cxml_orders.deliver(runtime, message_id) is None  # delivered: not posted again
    assert len(network.received) == 2


def test_a_revision_goes_out_as_an_update_naming_the_order_it_replaces(
    runtime: Runtime, network: Network
) -> None:
    po = the_order()
    send(runtime, po)
    revised = {**po, "revision": 1, "lines": po["lines"][:2]}
    report = send(runtime, revised)

    assert report.revised == ["4500004001"]
    first, update = network.received
    assert update.body is not None
    header = update.body.first("OrderRequestHeader")
    assert header is not None
    attrs = {c.name: c.value() for c in header.children if c.is_attribute}
    assert (attrs["@type"], attrs["@orderVersion"]) == ("update", "2")
    reference = header.first("DocumentReference")
    assert reference is not None
    assert reference.first("@payloadID") is not None
    assert reference.children[0].value() == first.payload_id
    assert len(list(update.body.named("ItemOut"))) == 2
