"""Every public cXML file of the shared corpus read through `read_cxml` (the hardened parser, the
envelope, the repository's maps): each translates to events or is skipped with a reason the test
names, or is refused with a FormatError; none raises anything else.

The expected events are checked against what the files hold (a deliberately plain reading here:
the order and shipment ids, the line count), not against the maps' own output."""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

import pytest

from gateway import canonical
from gateway.errors import FormatError
from gateway.formats.issues import Severity
from gateway.mapping import MapRegistry
from gateway.partners.registry import load_partners
from gateway.pipeline.tree_translate import read_cxml
from tests.pipeline.support import MAPS_DIR, PARTNERS_DIR, REPO_ROOT

CORPUS = Path(os.environ.get("GATEWAY_SHARED_DIR") or REPO_ROOT.parent / "shared") / "corpus" / "cxml"

INBOUND_ORDER = "OrderRequest is what we send; an inbound one has no map"
# Files the gateway knowingly does not map, and why (each must come out skipped with that reason).
UNSUPPORTED = {
    "invoicedetailrequest_1.2.037_line-taxes_officeluv.xml": (
        "invoices are not part of the commitment and shipment stream: no InvoiceDetailRequest map"
    ),
    "orderrequest_1.2.014_coupa-commented_officeluv.xml": INBOUND_ORDER,
    "orderrequest_1.2.050_cxml-php.xml": INBOUND_ORDER,
    "response_status-400_no-xml-declaration_officeluv.xml": "a bare Response answers a request: no document",
    "statusupdaterequest_1.2.050_cxml-php.xml": (
        "StatusUpdateRequest (an order's processing status) is not mapped: no commitment or shipment in it"
    ),
}
# What a plain reading of the mapped files says they hold.
EXPECTED = {
    "confirmationrequest_no-doctype_version-attr-1.2.011_officeluv.xml": ("commitment", "400-2591453-0", 3),
    "shipnoticerequest_1.2.050-fulfill_cxml-php.xml": ("shipment", "DO1234", 0),
}
NAMES = sorted(p.name for p in CORPUS.glob("*.xml")) if CORPUS.is_dir() else []


@pytest.fixture(scope="module")
def maps() -> MapRegistry:
    return MapRegistry.load(MAPS_DIR)


def test_every_corpus_file_is_named_here(shared_dir: Path) -> None:
    names = {p.name for p in (shared_dir / "corpus" / "cxml").glob("*.xml")}
    assert names == set(UNSUPPORTED) | set(EXPECTED)


@pytest.mark.parametrize("name", NAMES)
def test_each_file_translates_is_skipped_with_its_reason_or_is_refused(name: str, maps: MapRegistry) -> None:
    data = (CORPUS / name).read_bytes()
    if name.startswith("invalid_"):  # none yet; an invalid file may be refused outright
        with contextlib.suppress(FormatError):
            read_cxml(data, content_sha256="0" * 64, maps=maps, file_name=name)
        return
    read = read_cxml(
        data,
        content_sha256=hashlib.sha256(data).hexdigest(),
        maps=maps,
        partners=load_partners(PARTNERS_DIR),
        file_name=name,
    )
    outcome = read.outcome
    if name in UNSUPPORTED:
        assert outcome.skipped is not None, UNSUPPORTED[name]
        assert outcome.events == ()
        return
    kind, reference, lines = EXPECTED[name]
    assert outcome.skipped is None
    assert not [i for i in outcome.issues if i.severity is Severity.ERROR], outcome.issues
    if kind == "commitment":
        assert {e.po_number for e in outcome.events if isinstance(e, canonical.Commitment)} == {reference}
        assert len(outcome.events) == lines
    else:
        (shipment,) = outcome.events
        assert isinstance(shipment, canonical.Shipment)
        assert shipment.complete_orders == (reference,)  # a portion without items: the whole order
        assert len(shipment.lines) == lines
