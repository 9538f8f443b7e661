"""Apply a compiled map to one X12 transaction set (004010/005010) and return canonical events.

Pure: the result depends only on the map, the set and the context (no clock, no I/O).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, NamedTuple

import pydantic_core

from gateway.errors import MappingError
from gateway.formats.issues import Issue
from gateway.formats.x12.model import TransactionSet
from gateway.mapping.engine import Extraction
from gateway.mapping.registry import CompiledMap, MapRegistry
from gateway.mapping.targets import BUILDERS, DRAFTERS, WRITERS, Build, DocumentFacts, MapContext
from gateway.mapping.targets.common import MappingResult

__all__ = ["JsonResult", "MappingResult", "apply_x12", "apply_x12_json", "translate_x12"]


def apply_x12(compiled: CompiledMap, ts: TransactionSet, ctx: MapContext) -> MappingResult:
    """Events and issues for one set. Issues never raise; a set whose required values are missing
    yields the issues and no event. MappingError only when the map does not fit the set (wrong ST01).
    """
    if ts.set_id != compiled.spec.set_id:
        raise MappingError(f"map {compiled.key} reads {compiled.spec.set_id} sets, not {ts.set_id}")
    run = Extraction(ts, ctx.file)
    root = run.run(compiled.root)
    events = BUILDERS[compiled.spec.target](Build(DocumentFacts.of_x12(ts), ctx, run, root))
    return MappingResult(tuple(events), tuple(run.issues))


class JsonResult(NamedTuple):
    """A document's events as JSON lines (a NamedTuple: one is made per document)."""

    lines: str  # one JSON object per event, each followed by a newline: `event.model_dump_json()`
    events: int  # how many lines
    issues: tuple[Issue, ...]


_new: Final = tuple.__new__
_JSON_RESULT: Final = JsonResult


def apply_x12_json(compiled: CompiledMap, ts: TransactionSet, ctx: MapContext) -> JsonResult:
    """`apply_x12` with the events as JSON lines, byte for byte their `model_dump_json()`.

    Targets with JSON writers (`targets.WRITERS`) write the text themselves; targets with drafts
    (`targets.DRAFTERS`) serialize the drafts directly. Neither builds models: the drafts carry the
    models' fields in order with values of the models' types, which validation would keep as they
    are, and a writer writes exactly what `pydantic_core.to_json` writes for its drafts
    (tests/mapping/test_drafts.py holds every map case, corpus file and generated document to
    that). Other targets build their models and dump them.
    """
    if ts.set_id != compiled.spec.set_id:
        raise MappingError(f"map {compiled.key} reads {compiled.spec.set_id} sets, not {ts.set_id}")
    run = Extraction(ts, ctx.file)
    root = run.run(compiled.root)
    build = Build(DocumentFacts.of_x12(ts), ctx, run, root)
    target = compiled.spec.target
    writer = WRITERS.get(target)
    if writer is not None:
        texts = writer(build)
    else:
        drafter = DRAFTERS.get(target)
        if drafter is not None:
            texts = [pydantic_core.to_json(d).decode() for d in drafter(build)]
        else:
            texts = [e.model_dump_json() for e in BUILDERS[target](build)]
    # tuple.__new__: calling the NamedTuple class runs its Python-level __new__ (several times dearer)
    return _new(_JSON_RESULT, ("".join([f"{t}\n" for t in texts]), len(texts), tuple(run.issues)))


def translate_x12(
    registry: MapRegistry, ts: TransactionSet, ctx: MapContext, overrides: Mapping[str, str] | None = None
) -> MappingResult:
    """Resolve the map for the set (NoMapError when there is none) and apply it."""
    compiled = registry.resolve("x12", ts.set_id, ts.version, overrides or {})
    return apply_x12(compiled, ts, ctx)
