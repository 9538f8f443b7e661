"""The declarative mapping engine: `edi_maps/` YAML maps applied to X12 transaction sets, both ways.

    registry = mapping.MapRegistry.load(Path("edi_maps"))
    compiled = registry.resolve("x12", "855", "004010", partner.maps)
    result = mapping.apply_x12(compiled, ts, mapping.MapContext(partner_id="acme", document_id="d-1"))
    result.events, result.issues

Outbound: `purchase_order_to_850(po, version=..., buyer=..., supplier=..., map=registry.outbound(...))`.
"""

from gateway.mapping.apply import MappingResult, apply_x12, translate_x12
from gateway.mapping.outbound import OutboundMap, Party, purchase_order_to_850
from gateway.mapping.registry import CompiledMap, MapRegistry
from gateway.mapping.spec import MapSpec, parse_pick
from gateway.mapping.targets import Event, MapContext

__all__ = [
    "CompiledMap",
    "Event",
    "MapContext",
    "MapRegistry",
    "MapSpec",
    "MappingResult",
    "OutboundMap",
    "Party",
    "apply_x12",
    "parse_pick",
    "purchase_order_to_850",
    "translate_x12",
]
