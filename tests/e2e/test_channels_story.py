"""The cXML, portal and partner-API suppliers end to end, on SQLite and PostgreSQL, through the same
code paths the demo uses: their POs imported, the cXML documents posted (SharedSecret checked), the
portal's signed events delivered, the partner API's pages stored as the poller stores them; each
document correlated, the "whole order" ship notice expanded from the stored PO, and exactly the
exceptions `samples/README.md` lists for them."""

from __future__ import annotations

from decimal import Decimal

from gateway.cli.demo_channels import send_samples
from gateway.pipeline.runtime import Runtime
from tests.pipeline.support import SAMPLES, case_keys, import_orders, ledger, receipt_view

NEW = {"4500004001", "4500004002", "4500004003"}


def test_every_channel_sample_is_accepted_correlated_and_raises_its_exceptions(runtime: Runtime) -> None:
    import_orders(runtime, send=True)
    sent = send_samples(runtime, SAMPLES)

    assert [(s.channel, s.answer) for s in sent] == [
        ("POST /cxml", "cXML 200 OK"),
        ("POST /cxml", "cXML 200 OK"),
        ("POST /v1/webhooks/supplyhub", "processed"),
        ("POST /v1/webhooks/supplyhub", "processed"),
        ("partner API page", "confirmations"),
        ("partner API page", "confirmations"),
        ("partner API page", "shipments"),
    ]
    for item in sent:
        view = receipt_view(runtime, item.receipt_id)
        assert view.status == "processed", (item.file, view.error)
        assert [d.status for d in view.documents] == ["correlated"], item.file

    lines = {
        (ln.po_number, ln.line_number): (ln.ack_status, ln.committed, ln.committed_on, ln.shipped)
        for ln in ledger(runtime)
        if ln.po_number in NEW
    }
    assert lines == {
        # cXML: confirmed (line 3 at a new price), then "the whole order shipped": every open line
        ("4500004001", "1"): ("accepted", Decimal(400), "2025-03-18", Decimal(400)),
        ("4500004001", "2"): ("accepted", Decimal(100), "2025-03-18", Decimal(100)),
        ("4500004001", "3"): ("accepted_with_changes", Decimal(50), "2025-03-18", Decimal(50)),
        # portal: line 2 split (150 now, 50 backordered), shipped as confirmed
        ("4500004002", "1"): ("accepted", Decimal(600), "2025-03-19", Decimal(600)),
        ("4500004002", "2"): ("backordered", Decimal(200), "2025-04-02", Decimal(150)),
        ("4500004002", "3"): ("accepted", Decimal(80), "2025-03-19", Decimal(80)),
        # partner API: line 1 confirmed over two pages of confirmations, line 2 declined
        ("4500004003", "1"): ("accepted", Decimal(50), "2025-03-12", Decimal(50)),
        ("4500004003", "2"): ("rejected", Decimal(0), "", Decimal(0)),
    }
    assert {k for k in case_keys(runtime) if k[1] in NEW} == {
        ("price_mismatch", "4500004001", "3"),
        ("date_late", "4500004002", "2"),
        ("rejected_line", "4500004003", "2"),
    }


def test_sending_the_samples_again_changes_nothing(runtime: Runtime) -> None:
    import_orders(runtime, send=True)
    send_samples(runtime, SAMPLES)
    before = (ledger(runtime), case_keys(runtime))
    again = send_samples(runtime, SAMPLES)
    assert [s.answer for s in again][:4] == ["cXML 200 OK", "cXML 200 OK", "duplicate", "duplicate"]
    assert (ledger(runtime), case_keys(runtime)) == before
