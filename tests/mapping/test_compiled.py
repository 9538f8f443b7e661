"""The compiled engine and the 856 builder on shapes the golden cases do not reach.

The HL ancestor summary is computed once per node from its parent's; these tests hold it to the
plain definition (walk at most 64 ancestors, nearest first), including chains deeper than that bound.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from gateway import mapping
from gateway.canonical import models as canonical
from gateway.formats.issues import IssueCode
from tests.mapping.x12text import interchange, transaction_sets

MAPS = Path(__file__).resolve().parents[2] / "edi_maps"
CTX = mapping.MapContext(partner_id="acme", document_id="doc-1")


@pytest.fixture(scope="module")
def registry() -> mapping.MapRegistry:
    return mapping.MapRegistry.load(MAPS)


def run_856(registry: mapping.MapRegistry, body: list[str]) -> mapping.MappingResult:
    [ts] = transaction_sets(interchange(body, set_id="856", functional_id="SH"))
    return mapping.translate_x12(registry, ts, CTX)


def chain_856(depth: int) -> list[str]:
    """S, then an order with a PO, then a pack with an SSCC, then `depth` ZZ levels, then one item."""
    body = [
        "BSN*00*SHP1*20240301*1200*0001",
        "HL*1**S",
        "HL*2*1*O",
        "PRF*PO-DEEP",
        "HL*3*2*P",
        "MAN*GM*SSCC-3",
    ]
    for n in range(4, 4 + depth):
        body.append(f"HL*{n}*{n - 1}*ZZ")
    item = 4 + depth
    body += [f"HL*{item}*{item - 1}*I", "LIN*1*BP*PART-1", "SN1**5*EA"]
    return body


@pytest.mark.parametrize("depth", [0, 61, 62, 63, 70])
def test_an_item_sees_at_most_64_ancestors(registry: mapping.MapRegistry, depth: int) -> None:
    result = run_856(registry, chain_856(depth))
    [shipment] = result.events
    assert isinstance(shipment, canonical.Shipment)
    [line] = shipment.lines
    # Ancestors of the item, nearest first: `depth` ZZ levels, the pack, the order, the shipment.
    sees_pack, sees_order = depth + 1 <= 64, depth + 2 <= 64
    assert line.sscc == ("SSCC-3" if sees_pack else None)
    assert line.po_number == "PO-DEEP"  # from the order itself, or else the last order before the item
    warned = [i for i in result.issues if i.code is IssueCode.HIERARCHY_INVALID and "no order" in i.message]
    assert bool(warned) is not sees_order


def test_a_package_takes_the_sscc_of_its_nearest_packaging_ancestor(registry: mapping.MapRegistry) -> None:
    body = [
        "BSN*00*SHP1*20240301*1200*0003",
        "HL*1**S",
        "HL*2*1*T",
        "MAN*GM*PALLET",
        "HL*3*2*P",
        "HL*4*3*P",
        "MAN*GM*CARTON",
        "HL*5*4*O",
        "PRF*PO-1",
        "HL*6*5*I",
        "LIN*1*PL*7*BP*A*BP*B*SN*S1*SN*S2*SN*S1",
        "SN1**1*EA",
    ]
    [shipment] = run_856(registry, body).events
    assert isinstance(shipment, canonical.Shipment)
    assert [(p.level, p.sscc, p.parent_sscc) for p in shipment.packages] == [
        ("tare", "PALLET", None),
        ("pack", None, "PALLET"),
        ("pack", "CARTON", "PALLET"),
    ]
    [line] = shipment.lines
    assert (line.sscc, line.line_number, line.buyer_item, line.serials) == ("CARTON", "7", "A", ("S1", "S2"))


def test_conditions_components_and_priorities_in_one_segment(registry: mapping.MapRegistry) -> None:
    body = [
        "BSN*00*SHP1*20240301*1200",
        "HL*1**S",
        "TD1*CTN25*1****A3*10.5*LB",
        "TD5*B*9*NOTTHIS*M",
        "TD5*B*2*SCAC",
        "REF*CN*TRACK-1",
        "TD5*B*2*LATER****X*TD510",
        "N1*ST*NAME-ONLY",
        "N1*SF*SF-NAME*92*SF-ID",
    ]
    [shipment] = run_856(registry, body).events
    assert isinstance(shipment, canonical.Shipment)
    assert (shipment.gross_weight, shipment.weight_unit) == (Decimal("10.5"), "LB")
    assert (shipment.carrier, shipment.tracking_number) == ("SCAC", "TRACK-1")
    assert (shipment.ship_to, shipment.ship_from) == ("NAME-ONLY", "SF-ID")
