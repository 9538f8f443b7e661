"""`gateway partners list|test` and the published partner schema: the onboarding harness."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema_rs
import yaml
from typer.testing import CliRunner

from gateway.cli import spec
from tests.cli.runner import invoke
from tests.cli.test_translate import ACME_855
from tests.pipeline.support import PARTNERS_DIR, SAMPLES

ACME_856 = SAMPLES / "x12" / "acme-fasteners" / "856_000000431.edi"


def test_partners_list_json_names_each_partners_identities_and_order_format(cli: CliRunner) -> None:
    result = invoke(cli, "partners", "list", "--json")

    assert result.exit_code == 0, result.stderr
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    assert rows["acme-fasteners"]["identities"] == ["x12 ZZ:ACMEFAST 004010"]
    assert rows["acme-fasteners"]["channels"] == ["filedrop"]
    assert rows["acme-fasteners"]["orders_out"] == "x12"


def test_partners_test_shows_the_events_and_issues_of_sample_documents(cli: CliRunner) -> None:
    result = invoke(cli, "partners", "test", "acme-fasteners", str(ACME_855), str(ACME_856), "--json")

    assert result.exit_code == 0, result.stderr
    files = json.loads(result.stdout)
    assert [Path(f["file"]).name for f in files] == [ACME_855.name, ACME_856.name]
    [ack] = files[0]["documents"]
    assert (ack["format"], ack["doc_type"], ack["status"]) == ("x12", "855", "mapped")
    assert {e["type"] for e in ack["events"]} == {"commitment"}
    assert {e["partner_id"] for e in ack["events"]} == {"acme-fasteners"}
    [asn] = files[1]["documents"]
    assert [e["type"] for e in asn["events"]] == ["shipment"]


def test_partners_test_with_a_broken_document_lists_its_issues_and_exits_1(
    cli: CliRunner, tmp_path: Path
) -> None:
    text = ACME_855.read_text(encoding="utf-8").replace("BAK*00*AD*4500001001", "BAK*00*AD*")
    broken = tmp_path / "broken_855.edi"
    broken.write_text(text, encoding="utf-8")

    result = invoke(cli, "partners", "test", "acme-fasteners", str(broken))

    assert result.exit_code == 1
    assert "rejected" in result.stdout
    assert "BAK03" in result.stdout or "po_number" in result.stdout


def test_partners_test_refuses_an_unknown_partner_and_an_unreadable_file(
    cli: CliRunner, tmp_path: Path
) -> None:
    assert invoke(cli, "partners", "test", "nobody", str(ACME_855)).exit_code == 2
    junk = tmp_path / "junk.edi"
    junk.write_bytes(b"ISA*00*bad")

    result = invoke(cli, "partners", "test", "acme-fasteners", str(junk), "--json")

    assert result.exit_code == 2
    [entry] = json.loads(result.stdout)
    assert entry["error"].startswith("FormatError: junk.edi")


def test_every_partner_file_validates_against_the_published_schema(repo_root: Path) -> None:
    schema = json.loads((repo_root / "openapi" / spec.PARTNER_FILE).read_text(encoding="utf-8"))
    validator = jsonschema_rs.validator_for(schema)
    files = sorted(PARTNERS_DIR.glob("*.yaml"))
    assert files
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        errors = [e.message for e in validator.iter_errors(data)]
        assert errors == [], (path.name, errors)
    assert not validator.is_valid({"id": "x1", "name": "X", "unknown_key": 1})  # extra="forbid" is published
