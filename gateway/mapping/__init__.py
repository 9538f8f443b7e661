"""The declarative mapping engine: `edi_maps/` YAML maps applied to X12 transaction sets, both ways.

    registry = mapping.MapRegistry.load(Path("edi_maps"))
    compiled = registry.resolve("x12", "855", "004010", partner.maps)
    result = mapping.apply_x12(compiled, ts, mapping.MapContext(partner_id="acme", document_id="d-1"))
    result.events, result.issues

Outbound: `purchase_order_to_850(po, version=..., buyer=..., supplier=..., map=registry.outbound(...))`;
a revision as an 860: `purchase_order_change_to_860(purchase_order_change(before, after), ...)`.

Tree documents (cXML, JSON) use the same builders through `tree_maps.py`:

    compiled = registry.trees.cxml("ConfirmationRequest", "1.2", partner.maps)
    result = mapping.apply_cxml(compiled, envelope, ctx)
    portal = registry.trees.json("json/portal/supplyhub.yaml")
    kind, compiled = portal.select(root)             # by the kinds' `when`, or by name
    for node in compiled.program.documents(root): mapping.apply_tree(compiled, node, ctx, facts, where)
"""

from gateway.mapping.apply import MappingResult, apply_x12, translate_x12
from gateway.mapping.changes import ChangeCode, LineChange, PurchaseOrderChange, purchase_order_change
from gateway.mapping.outbound import OutboundMap, Party, purchase_order_change_to_860, purchase_order_to_850
from gateway.mapping.registry import CompiledMap, MapRegistry
from gateway.mapping.spec import MapSpec, parse_pick
from gateway.mapping.targets import DocumentFacts, Event, MapContext, map_context
from gateway.mapping.tree_maps import CompiledJson, CompiledTree, TreeMaps, apply_cxml, apply_tree

__all__ = [
    "ChangeCode",
    "CompiledJson",
    "CompiledMap",
    "CompiledTree",
    "DocumentFacts",
    "Event",
    "LineChange",
    "MapContext",
    "MapRegistry",
    "MapSpec",
    "MappingResult",
    "OutboundMap",
    "Party",
    "PurchaseOrderChange",
    "TreeMaps",
    "apply_cxml",
    "apply_tree",
    "apply_x12",
    "map_context",
    "parse_pick",
    "purchase_order_change",
    "purchase_order_change_to_860",
    "purchase_order_to_850",
    "translate_x12",
]
