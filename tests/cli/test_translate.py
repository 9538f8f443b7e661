"""The `gateway` command through typer's CliRunner: translate (JSON lines, unreadable input, skipped
sets, --partner), ingest --json, erp import, demo --no-serve and partners validate.

Every command runs in a tmp working directory with `GATEWAY_*` pointing at the repository's partners
and maps and at a tmp data dir, so nothing is written into the repository.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.cli.runner import invoke
from tests.pipeline.support import SAMPLES

ACME_855 = SAMPLES / "x12" / "acme-fasteners" / "855_000000418.edi"
INVOICE_810 = "810_004030_two-invoices_oopfactory.edi"
OPEN_TYPES = (
    "price_mismatch",
    "date_late",
    "quantity_over",
    "rejected_line",
    "quantity_short",
    "over_shipment",
    "unknown_line",
    "unknown_po",
    "production_at_risk",  # three: MO-70001 (PLS-2001 late, ELC-3002 rejected), MO-70002 (ELC-3003 short)
)


# ----------------------------------------------------------------------------------------- translate


def test_translate_writes_one_json_line_per_event_of_a_sample_855(cli: CliRunner) -> None:
    result = invoke(cli, "translate", str(ACME_855))

    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines
    for line in lines:
        event = json.loads(line)
        assert {"type", "partner_id", "document_id", "occurred_at", "po_number"} <= event.keys()
        assert event["type"] == "commitment"
        assert event["partner_id"] == "acme-fasteners"
        assert event["po_number"] == "4500001001"
    assert len({json.loads(line)["document_id"] for line in lines}) == 1


@pytest.mark.parametrize(
    ("content", "position"),
    [
        pytest.param(b"ISA*00*          *00*  ", "segment 1 (ISA)", id="truncated-isa"),
        pytest.param(b"\x00\x01 not edi", "offset 0", id="garbage"),
    ],
)
def test_translate_of_unreadable_input_exits_2_with_one_line_naming_the_file_and_position(
    cli: CliRunner, tmp_path: Path, content: bytes, position: str
) -> None:
    broken = tmp_path / "broken.edi"
    broken.write_bytes(content)

    result = invoke(cli, "translate", str(broken))

    assert result.exit_code == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert str(broken) in line
    assert position in line
    assert "Traceback" not in result.stderr


def test_translate_reports_an_810_as_skipped_and_exits_0(cli: CliRunner, shared_dir: Path) -> None:
    invoice = shared_dir / "corpus" / "x12" / INVOICE_810

    result = invoke(cli, "translate", str(invoice))

    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    skipped = [line for line in result.stderr.splitlines() if line.startswith("skipped:")]
    assert len(skipped) == 2  # two invoices in the file
    assert all(str(invoice) in line and "(810)" in line for line in skipped)


def test_translate_with_partner_uses_that_partner(cli: CliRunner, tmp_path: Path) -> None:
    # Borealis's 855 forced to acme: the events carry acme's id, not the envelope's sender.
    borealis_855 = SAMPLES / "x12" / "borealis-plastics" / "855_000002202.edi"

    plain = invoke(cli, "translate", str(borealis_855))
    forced = invoke(cli, "translate", "--partner", "acme-fasteners", str(borealis_855))

    assert plain.exit_code == 0, plain.stderr
    assert {json.loads(line)["partner_id"] for line in plain.stdout.splitlines()} == {"borealis-plastics"}
    assert {json.loads(line)["partner_id"] for line in forced.stdout.splitlines()} == {"acme-fasteners"}


# ---------------------------------------------------------------------------- database-backed commands


def test_erp_import_then_ingest_json_reports_the_receipts(cli: CliRunner, tmp_path: Path) -> None:
    imported = invoke(cli, "erp", "import", str(SAMPLES / "erp" / "orders.json"), "--json")
    assert imported.exit_code == 0, imported.stderr
    report = json.loads(imported.stdout)
    assert report["purchase_orders"] == [
        "4500001001",
        "4500001002",
        "4500001003",
        "4500004001",
        "4500004002",
        "4500004003",
        "4500005001",
    ]
    # An 850 to each X12 supplier and an ORDERS to the EDIFACT one; the cXML supplier has no
    # order_url, the others read orders by API.
    assert sorted(p for _, p, _ in report["sent"]) == [
        "acme-fasteners",
        "borealis-plastics",
        "cascade-electronics",
        "rheinwerk-bearings",
    ]
    assert report["production_orders"] == ["MO-70001", "MO-70002"]
    for _po, partner, path in report["sent"]:
        assert Path(path).is_file()
        assert Path(path).is_relative_to(tmp_path / "var" / "filedrop" / partner / "outbox")

    ingested = invoke(cli, "ingest", "--json", str(ACME_855))

    assert ingested.exit_code == 0, ingested.stderr
    (receipt,) = json.loads(ingested.stdout)
    assert receipt["file_name"] == ACME_855.name
    assert receipt["status"] == "processed"
    assert [(d["doc_type"], d["status"]) for d in receipt["documents"]] == [("855", "correlated")]
    assert receipt["acks"]


def test_erp_import_prints_a_summary(cli: CliRunner) -> None:
    result = invoke(cli, "erp", "import", str(SAMPLES / "erp" / "orders.json"))

    assert result.exit_code == 0, result.stderr
    assert "imported 7 purchase orders and 2 production orders" in result.stdout


def test_ingest_of_an_unreadable_file_exits_1(cli: CliRunner, tmp_path: Path) -> None:
    broken = tmp_path / "broken.edi"
    broken.write_bytes(b"ISA*00*  ")

    result = invoke(cli, "ingest", "--json", str(broken))

    assert result.exit_code == 1
    (receipt,) = json.loads(result.stdout)
    assert receipt["status"] == "failed"
    assert "segment 1 (ISA)" in receipt["error"]


def test_demo_without_serving_prints_the_seventeen_open_exceptions(cli: CliRunner, tmp_path: Path) -> None:
    # The demo reads ./samples (relative to the working directory, as `make demo` runs it).
    (tmp_path / "samples").symlink_to(SAMPLES, target_is_directory=True)

    result = invoke(cli, "demo", "--no-serve")

    assert result.exit_code == 0, result.stderr
    out = result.stdout
    # The eleven of the X12 samples, one each from the cXML, portal, partner-API and AS2 samples, and
    # the EDIFACT partner's two (quantity short, date late).
    assert "Open exceptions (17)" in out
    table = out[out.index("Open exceptions (17)") :]
    for kind in OPEN_TYPES:
        assert kind in table, kind
    assert (tmp_path / "var" / "gateway.db").is_file()
    # The AS2 supplier over real AS2 on loopback: our 850 and 997s out, its 997, 855 and 856 in,
    # every message signed, encrypted and compressed, and every MDN verified on both sides.
    as2 = out[out.index("AS2 with fjord-metalworks") : out.index("Purchase order lines")]
    rows = [line for line in as2.splitlines() if "signed+encrypted+compressed" in line]
    assert [("outbound" in r, "delivered" in r or "processed" in r) for r in rows] == [
        (True, True),
        (False, True),
        (False, True),
        (True, True),
        (False, True),
        (True, True),
    ]
    assert all(r.rstrip(" │").endswith("processed") for r in rows), rows
    assert as2.count("read our MDN for") == 3
    assert as2.count("processed (signature and MIC)") == 3


def test_partners_validate_exits_0(cli: CliRunner) -> None:
    result = invoke(cli, "partners", "validate")

    assert result.exit_code == 0, result.stderr
    assert "8 partners valid" in result.stdout
