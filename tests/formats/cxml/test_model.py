"""The cXML envelope: credentials, payloadID, timestamp, version (root or DTD URL), deployment mode,
the request element, a Response's Status, and issues located by path."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway.errors import FormatError
from gateway.formats.cxml.model import Credential, DeploymentMode, Kind, read_envelope, version_family
from gateway.formats.cxml.parser import parse
from gateway.formats.issues import IssueCode, Severity

REQUEST = b"""<?xml version="1.0"?>
<cXML payloadID="p-1@supplier.example" timestamp="2025-03-06T09:00:00-05:00" version="1.2.050"
      xml:lang="en-US">
  <Header>
    <From><Credential domain="NetworkID"><Identity>AN01</Identity></Credential>
          <Credential domain="DUNS"><Identity>123456789</Identity></Credential></From>
    <To><Credential domain="NetworkId"><Identity>BUYER</Identity></Credential></To>
    <Sender><Credential domain="NetworkID"><Identity>AN-HUB</Identity>
            <SharedSecret>s3cret</SharedSecret></Credential>
            <UserAgent>Hub 1.0</UserAgent></Sender>
  </Header>
  <Request deploymentMode="test"><ConfirmationRequest/></Request>
</cXML>"""


def test_reads_the_envelope_of_a_request() -> None:
    envelope, issues = read_envelope(parse(REQUEST), file_name="c.xml")
    assert issues == ()
    assert envelope.payload_id == "p-1@supplier.example"
    assert envelope.timestamp == datetime(2025, 3, 6, 14, 0, tzinfo=UTC)
    assert envelope.version == "1.2.050"
    assert envelope.lang == "en-US"
    assert envelope.kind is Kind.REQUEST
    assert envelope.name == "ConfirmationRequest"
    assert envelope.deployment_mode is DeploymentMode.TEST
    assert envelope.is_test
    assert envelope.from_ == (Credential("NetworkID", "AN01"), Credential("DUNS", "123456789"))
    assert envelope.to == (Credential("NetworkId", "BUYER"),)
    assert envelope.sender == (Credential("NetworkID", "AN-HUB", "s3cret"),)
    assert envelope.shared_secret == "s3cret"
    assert "s3cret" not in repr(envelope.sender)
    assert envelope.user_agent == "Hub 1.0"
    assert envelope.body is not None
    assert envelope.body.path == "/cXML/Request/ConfirmationRequest"


def test_the_version_comes_from_the_dtd_url_when_the_root_has_none(shared_dir: Path) -> None:
    path = shared_dir / "corpus" / "cxml" / "shipnoticerequest_1.2.050-fulfill_cxml-php.xml"
    envelope, issues = read_envelope(parse(path.read_bytes()))
    assert envelope.version == "1.2.050"
    assert envelope.name == "ShipNoticeRequest"
    assert envelope.deployment_mode is DeploymentMode.PRODUCTION
    assert issues == ()


def test_a_bare_response_carries_its_status(shared_dir: Path) -> None:
    path = shared_dir / "corpus" / "cxml" / "response_status-400_no-xml-declaration_officeluv.xml"
    envelope, _ = read_envelope(parse(path.read_bytes()))
    assert envelope.kind is Kind.RESPONSE
    assert envelope.status is not None
    assert envelope.status.code == "400"
    assert "missing required parameter" in envelope.status.text


def test_problems_are_issues_located_by_path() -> None:
    doc = b'<cXML timestamp="yesterday"><Request deploymentMode="staging"><A/><B/></Request></cXML>'
    envelope, issues = read_envelope(parse(doc), file_name="x.xml")
    found = {(i.code, i.severity, i.location.path) for i in issues}
    assert found == {
        (IssueCode.MISSING_VALUE, Severity.ERROR, "/cXML/@payloadID"),
        (IssueCode.INVALID_DATE, Severity.WARNING, "/cXML/@timestamp"),
        (IssueCode.MISSING_VALUE, Severity.ERROR, "/cXML"),  # no Header
        (IssueCode.UNEXPECTED_SEGMENT, Severity.ERROR, "/cXML/Request/B"),
        (IssueCode.INVALID_CODE_VALUE, Severity.ERROR, "/cXML/Request/@deploymentMode"),
    }
    assert all(i.location.file == "x.xml" for i in issues)
    assert envelope.name == "A"


@pytest.mark.parametrize("doc", [b"<Other/>", b"<cXML><Header/></cXML>"])
def test_a_document_that_is_not_cxml_is_a_format_error(doc: bytes) -> None:
    with pytest.raises(FormatError):
        read_envelope(parse(doc))


@pytest.mark.parametrize(
    ("version", "family"), [("1.2.050", "1.2"), ("1.2", "1.2"), (None, "1.2"), ("1.1.009", "1.1")]
)
def test_version_family(version: str | None, family: str) -> None:
    assert version_family(version) == family
