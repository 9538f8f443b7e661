from __future__ import annotations

from decimal import Decimal

import gateway.correlation as correlation
from gateway.correlation.items import Fit, ItemIds
from gateway.correlation.terms import PartnerTerms
from gateway.partners.model import ItemXref, PartnerConfig, Tolerances, UnitConversion
from tests.correlation.builders import make_line


def test_terms_come_from_the_partner_file() -> None:
    config = PartnerConfig(
        id="acme",
        name="Acme",
        units=(UnitConversion(from_unit="CA", to_unit="EA", factor=Decimal(12)),),
        items=(ItemXref(buyer_item="BOLT-10", supplier_item="S-BOLT"),),
        tolerances=Tolerances(quantity_pct=Decimal(5)),
    )
    terms = PartnerTerms.from_config(config)
    assert terms.partner_id == "acme"
    assert terms.tolerances.quantity_pct == Decimal(5)
    assert terms.converter.convert(Decimal(1), "CA", "EA") == Decimal(12)
    assert terms.items.fit(ItemIds(supplier_item="S-BOLT"), make_line()) is Fit.MATCHES


def test_public_api_is_what_the_package_exports() -> None:
    assert {"correlate_commitment", "correlate_shipment", "PartnerTerms", "CorrelationResult"} <= set(
        correlation.__all__
    )
    assert all(hasattr(correlation, name) for name in correlation.__all__)
