"""Every public EDIFACT file of the shared corpus through `gateway translate`'s translator (the
streaming reader, the envelope checks, the repository's maps): each translates to events, is
skipped with the reason this test names (a message type or directory the gateway has no map for),
is rejected with issues, or is refused with a FormatError; none raises anything else.

Expectations come from reading the files (a deliberately plain reading: order and shipment ids,
line counts), not from the maps' own output."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest

from gateway import canonical
from gateway.errors import FormatError
from gateway.formats import detect
from gateway.formats.issues import IssueCode, Severity
from gateway.mapping import MapRegistry
from gateway.partners.registry import load_partners
from gateway.pipeline.translate import TRANSLATORS, DocumentOutcome, EnvelopeNote, TranslateContext
from tests.pipeline.support import MAPS_DIR, PARTNERS_DIR, REPO_ROOT

CORPUS = Path(os.environ.get("GATEWAY_SHARED_DIR") or REPO_ROOT.parent / "shared") / "corpus" / "edifact"

INVOICES = "invoices are not part of the commitment and shipment stream: no INVOIC map"
INBOUND_ORDERS = "ORDERS is what we send; an inbound one has no map"
# Files whose messages the gateway knowingly does not map, and why (each must come out skipped).
UNSUPPORTED = {
    "invoic_93a_una-newline-terminator_swapped-version_xmledifact.edi": INVOICES,
    "invoic_d03b_una-star-repetition_smooks.edi": INVOICES,
    "invoic_d93a_una-decimal-comma-umlauts_staedi.edi": INVOICES,
    "invoic_d97b_una-caret-star-dollar_edireader.edi": INVOICES,
    "invoic_d97b_una-eq-star-tilde_staedi.edi": INVOICES,
    "invalid_invoic_d97b_bad-values_staedi.edi": INVOICES,
    "orders_d01b_ean010_release-escapes_phpedifact.edi": INBOUND_ORDERS,
    "orders_d03b_ean008_syntax4_smooks.edi": INBOUND_ORDERS,
    "orders_d93a_ung-group-30kb-single-line_xmledifact.edi": INBOUND_ORDERS,
    "orders_d96a_bare-message-no-unb_edifactrs.edi": INBOUND_ORDERS,
    "orders_d96a_ean008_crlf-placeholder-ids_pyas2lib.edi": INBOUND_ORDERS,
    "orders_d96a_ean008_una-decimal-comma_unoa4_pydifact.edi": INBOUND_ORDERS,
    "orders_d96a_no-una_pydifact.edi": INBOUND_ORDERS,
    "orders_d96b_ean008_ung-group_staedi.edi": INBOUND_ORDERS,
    "ordrsp_d10a_single-line_released-plus_edinet.edi": (
        "an ORDRSP of directory D10A (a German energy-market profile with Z codes): no D10A map"
    ),
}
# Files refused outright, with what the refusal says.
REFUSED = {
    "invalid_orders_d96a_no-unb_bgm-before-unh_edifactrs.edi": "starts with UNA, UNB or UNH, not 'BGM'",
}
# Mapped files: (event kind, order numbers, lines).
EXPECTED = {
    "desadv_96a_version-0-no-una_phpedifact.edi": ("shipment", {"6877871", "6905456"}, 2),
}
# Envelope errors the files carry (their trailers disagree with their content).
ENVELOPE_ERRORS = {
    "invoic_d03b_una-star-repetition_smooks.edi": {IssueCode.SEGMENT_COUNT_MISMATCH},
    "invoic_d97b_una-caret-star-dollar_edireader.edi": {IssueCode.MANDATORY_SEGMENT_MISSING},
    "orders_d96a_ean008_una-decimal-comma_unoa4_pydifact.edi": {IssueCode.INTERCHANGE_TRAILER_MISSING},
    "orders_d96a_no-una_pydifact.edi": {IssueCode.INTERCHANGE_TRAILER_MISSING},
    "orders_d96b_ean008_ung-group_staedi.edi": {IssueCode.SEGMENT_COUNT_MISMATCH},
    "ordrsp_d10a_single-line_released-plus_edinet.edi": {
        IssueCode.SEGMENT_COUNT_MISMATCH,
        IssueCode.SET_CONTROL_MISMATCH,
        IssueCode.INTERCHANGE_CONTROL_MISMATCH,
    },
}
NAMES = sorted(p.name for p in CORPUS.glob("*.edi")) if CORPUS.is_dir() else []


@pytest.fixture(scope="module")
def maps() -> MapRegistry:
    return MapRegistry.load(MAPS_DIR)


def translate(name: str, maps: MapRegistry) -> list[DocumentOutcome | EnvelopeNote]:
    data = (CORPUS / name).read_bytes()
    assert detect.detect(data[:512]) is detect.Format.EDIFACT
    ctx = TranslateContext(
        content_sha256=hashlib.sha256(data).hexdigest(),
        maps=maps,
        partners=load_partners(PARTNERS_DIR),
        file_name=name,
    )
    return list(TRANSLATORS[detect.Format.EDIFACT](io.BytesIO(data), ctx))


def test_every_corpus_file_is_named_here(shared_dir: Path) -> None:
    names = {p.name for p in (shared_dir / "corpus" / "edifact").glob("*.edi")}
    assert len(names) == 17
    assert names == set(UNSUPPORTED) | set(EXPECTED) | set(REFUSED)


@pytest.mark.parametrize("name", NAMES)
def test_each_file_translates_is_skipped_with_its_reason_or_is_refused(name: str, maps: MapRegistry) -> None:
    if name in REFUSED:
        with pytest.raises(FormatError, match=REFUSED[name]) as raised:
            translate(name, maps)
        assert raised.value.location is not None
        assert raised.value.location.file == name
        return
    found = translate(name, maps)
    documents = [d for d in found if isinstance(d, DocumentOutcome)]
    assert documents
    errors = {i.code for d in found for i in d.issues if i.severity is Severity.ERROR}
    assert errors == ENVELOPE_ERRORS.get(name, set())
    if name in UNSUPPORTED:
        for doc in documents:
            assert doc.skipped is not None, UNSUPPORTED[name]
            assert doc.skipped.startswith("no edifact map for"), UNSUPPORTED[name]
            assert doc.events == ()
        return
    kind, orders, lines = EXPECTED[name]
    (doc,) = documents
    assert doc.skipped is None
    assert doc.format == "edifact"
    assert doc.version == "D96A"
    (shipment,) = doc.events
    assert isinstance(shipment, canonical.Shipment)
    assert kind == "shipment"
    assert {line.po_number for line in shipment.lines} == orders
    assert len(shipment.lines) == lines
