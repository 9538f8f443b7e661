"""One builder per canonical target type; each turns an extracted record tree into canonical models.

Nothing here knows a partner: partner habits live in the maps. Each target declares the code
tables it reads (with the values they may yield) and the header fields it needs, so a map that
would build invalid models is refused at load time.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from types import ModuleType

from gateway.mapping.spec import MapSpec
from gateway.mapping.targets import commitment, functional_ack, purchase_order, shipment, shipment_orders
from gateway.mapping.targets.common import (
    Build,
    DocumentFacts,
    Draft,
    Event,
    IssueSink,
    MapContext,
    map_context,
)

TARGETS: Mapping[str, ModuleType] = {
    "commitment": commitment,
    "shipment": shipment,
    "purchase_order": purchase_order,
    "functional_ack": functional_ack,
}

BUILDERS: Mapping[str, Callable[[Build], Sequence[Event]]] = {
    name: module.build for name, module in TARGETS.items()
}

# The targets whose builders also give drafts (`common.Draft`): their events can be written as JSON
# without building the models.
DRAFTERS: Mapping[str, Callable[[Build], Sequence[Draft]]] = {
    "commitment": commitment.draft,
    "shipment": shipment.draft,
}

# The targets that write their events as JSON text themselves (exactly `pydantic_core.to_json` of
# their drafts, see `json_lines`), neither drafts nor models.
WRITERS: Mapping[str, Callable[[Build], Sequence[str]]] = {
    "commitment": commitment.write,
    "shipment": shipment.write,
}


# Tree documents (cXML, JSON): commitments read the same record fields as from an 855; ship notices
# list orders and items instead of an HL tree.
# EDIFACT CONTRL reads into the 997's FunctionalAck.
TREE_TARGETS: Mapping[str, ModuleType] = {
    "commitment": commitment,
    "shipment": shipment_orders,
    "functional_ack": functional_ack,
}
TREE_BUILDERS: Mapping[str, Callable[[Build], Sequence[Event]]] = {
    name: module.build for name, module in TREE_TARGETS.items()
}


def check_target(spec: MapSpec) -> list[str]:
    """What keeps this map from feeding its target's builder (empty when it fits)."""
    return check_fit(TARGETS[spec.target], spec.target, spec.code_tables, spec.fields)


def check_fit(
    module: ModuleType, target: str, code_tables: Mapping[str, Mapping[str, str]], fields: Collection[str]
) -> list[str]:
    """What keeps a map's tables and header fields from feeding a builder module (empty when fine)."""
    problems = []
    tables: Mapping[str, frozenset[str]] = module.TABLES
    for name, allowed in tables.items():
        bad = sorted(v for v in code_tables.get(name, {}).values() if v not in allowed)
        if bad:
            problems.append(f"code table {name!r} yields {bad}; {target} accepts {sorted(allowed)}")
    needed: Sequence[str] = module.FIELDS
    problems += [f"{target} needs header field {f!r}" for f in needed if f not in fields]
    return problems


__all__ = [
    "BUILDERS",
    "DRAFTERS",
    "TREE_BUILDERS",
    "TREE_TARGETS",
    "WRITERS",
    "Build",
    "DocumentFacts",
    "Draft",
    "Event",
    "IssueSink",
    "MapContext",
    "check_fit",
    "check_target",
    "map_context",
]
