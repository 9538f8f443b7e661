"""One builder per canonical target type; each turns an extracted record tree into canonical models.

Nothing here knows a partner: partner habits live in the maps. Each target declares the code
tables it reads (with the values they may yield) and the header fields it needs, so a map that
would build invalid models is refused at load time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import ModuleType

from gateway.mapping.spec import MapSpec
from gateway.mapping.targets import commitment, functional_ack, purchase_order, shipment
from gateway.mapping.targets.common import Build, DocumentFacts, Draft, Event, IssueSink, MapContext

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


def check_target(spec: MapSpec) -> list[str]:
    """What keeps this map from feeding its target's builder (empty when it fits)."""
    module = TARGETS[spec.target]
    problems = []
    tables: Mapping[str, frozenset[str]] = module.TABLES
    for name, allowed in tables.items():
        bad = sorted(v for v in spec.code_tables.get(name, {}).values() if v not in allowed)
        if bad:
            problems.append(f"code table {name!r} yields {bad}; {spec.target} accepts {sorted(allowed)}")
    fields: Sequence[str] = module.FIELDS
    problems += [f"{spec.target} needs header field {f!r}" for f in fields if f not in spec.fields]
    return problems


__all__ = [
    "BUILDERS",
    "DRAFTERS",
    "Build",
    "DocumentFacts",
    "Draft",
    "Event",
    "IssueSink",
    "MapContext",
    "check_target",
]
