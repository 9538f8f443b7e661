"""What correlation needs to know about one partner, built once from its partner file."""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.correlation.items import ItemCatalog
from gateway.correlation.units import UnitConverter
from gateway.partners.model import PartnerConfig, Tolerances


@dataclass(frozen=True)
class PartnerTerms:
    partner_id: str
    tolerances: Tolerances = field(default_factory=Tolerances)
    converter: UnitConverter = field(default_factory=UnitConverter)
    items: ItemCatalog = field(default_factory=ItemCatalog)

    @classmethod
    def from_config(cls, config: PartnerConfig) -> PartnerTerms:
        return cls(
            partner_id=config.id,
            tolerances=config.tolerances,
            converter=UnitConverter(config.units),
            items=ItemCatalog(config.items),
        )
