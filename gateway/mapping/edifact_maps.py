"""EDIFACT maps: the tree map language (`tree_spec.py`) over a message's segment-group tree.

    edifact/<MESSAGE>/<directory>.yaml              a message map (`versions: ["D96A", ...]`, may `extends:`)
    edifact/<MESSAGE>/overrides/<name>.yaml         a partner patch, named in PartnerConfig.maps
    <map>.cases/                                    input (.edi) / expected (.json) pairs

Paths address segments by tag, nested as their segment groups are (`gateway.formats.edifact.tree`),
elements as `e<n>` and components as `c<n>`: `LIN/QTY[e1/c1=12]/e1/c2`, `DTM[e1/c1=137]/e1/c2`. Dates
are read in EDIFACT's formats and numbers with either decimal mark. Issues carry the segment position
and tag, the element and the component, as an EDIFACT reader reports them (UNH is segment 1).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

from pydantic import ValidationError

from gateway.errors import MappingError, NoMapError
from gateway.formats.edifact import model as edifact
from gateway.formats.edifact.tree import SegmentNode, dismantle, message_tree, segment_of
from gateway.formats.issues import Issue, IssueCode, Location, Severity
from gateway.formats.tree import Node
from gateway.mapping.conversions import Anchor
from gateway.mapping.edifact_paths import EdifactPath, accelerate
from gateway.mapping.engine import Record
from gateway.mapping.targets import TREE_BUILDERS, TREE_TARGETS, Build, DocumentFacts, MapContext, check_fit
from gateway.mapping.targets import commitment as commitment_target
from gateway.mapping.targets import shipment_orders as shipment_target
from gateway.mapping.targets.common import MappingResult
from gateway.mapping.tree_engine import TField, TreeProgram, TreeRun, compile_document
from gateway.mapping.tree_spec import EdifactMapSpec

Merge = Callable[[Mapping[str, Any], Mapping[str, Any]], dict[str, Any]]
# Tree targets whose events are written as JSON text by their builders, without the models (and,
# for the shipments, without their drafts: pydantic-core's `to_json` of a DESADV's draft cost about
# 106,000 instructions).
TREE_WRITERS: Mapping[str, Callable[[Build], Sequence[str]]] = {
    "commitment": commitment_target.write,
    "shipment": shipment_target.write,
}


@dataclass(frozen=True, slots=True)
class CompiledEdifact:
    key: str  # "edifact/ORDRSP/D96A.yaml"
    override: str | None
    spec: EdifactMapSpec
    program: TreeProgram


class EdifactMaps:
    """The EDIFACT maps of one `edi_maps/` root, validated and compiled once (overrides on demand)."""

    def __init__(
        self, raw: Mapping[str, Mapping[str, Any]], overrides: Mapping[str, Mapping[str, Any]], merge: Merge
    ) -> None:
        self._raw = raw
        self._overrides = overrides
        self._merge = merge
        self._maps: dict[str, CompiledEdifact] = {}
        self._index: dict[tuple[str, str], str] = {}
        self._cache: dict[tuple[str, str], CompiledEdifact] = {}
        for key in raw:
            compiled = _compile(key, self._resolved(key, ()), None)
            spec = compiled.spec
            if key.split("/")[1] != spec.message:
                raise MappingError(f"{key}: message {spec.message!r} must be its folder's name")
            for version in spec.versions:
                other = self._index.setdefault((spec.message, version.upper()), key)
                if other != key:
                    raise MappingError(f"{key} and {other} both claim edifact {spec.message} {version}")
            self._maps[key] = compiled
        for rel in overrides:
            message = rel.split("/")[1]
            for key in self._maps:
                if key.split("/")[1] == message:
                    self._variant(key, rel)

    def map_keys(self) -> list[str]:
        return sorted(self._maps)

    def resolve(
        self, message: str, directory: str, partner_overrides: Mapping[str, str] | None = None
    ) -> CompiledEdifact:
        """The map for a message type and directory (`D96A`), with the partner's `edifact/<MESSAGE>`
        override; NoMapError when there is none (the message is skipped)."""
        key = self._index.get((message, directory.upper()))
        if key is None:
            raise NoMapError(
                f"no edifact map for {message or 'a message without a type'} {directory}",
                format="edifact",
                doctype=message,
                version=directory,
            )
        override = (partner_overrides or {}).get(f"edifact/{message}")
        if override is None:
            return self._maps[key]
        if override not in self._overrides:
            raise MappingError(f"override {override!r} for edifact/{message} does not exist")
        return self._variant(key, override)

    def _resolved(self, key: str, seen: tuple[str, ...]) -> dict[str, Any]:
        if key in seen:
            raise MappingError(f"{key}: `extends` loops through {' -> '.join(seen)}")
        if key not in self._raw:
            raise MappingError(f"{seen[-1] if seen else key}: extends {key!r}, which does not exist")
        data = self._raw[key]
        parent = data.get("extends")
        if parent is None:
            return dict(data)
        return self._merge(self._resolved(str(parent), (*seen, key)), data)

    def _variant(self, key: str, override: str) -> CompiledEdifact:
        cached = self._cache.get((key, override))
        if cached is None:
            data = self._merge(self._resolved(key, ()), self._overrides[override])
            cached = self._cache[(key, override)] = _compile(f"{override} over {key}", data, override)
        return cached


def _compile(key: str, data: Mapping[str, Any], override: str | None) -> CompiledEdifact:
    try:
        spec = EdifactMapSpec.model_validate(data)
    except ValidationError as e:
        raise MappingError(f"{key}: {e}") from e
    problems = check_fit(TREE_TARGETS[spec.target], spec.target, spec.code_tables, spec.fields)
    if problems:
        raise MappingError(f"{key}: " + "; ".join(problems))
    return CompiledEdifact(key, override, spec, accelerate(compile_document(spec, dates="edifact")))


class EdifactRun(TreeRun):
    """A tree run whose issues name EDIFACT places: segment position and tag, element, component.

    Paths of the fast shape (`edifact_paths.EdifactPath`) are read from the segments' components
    without making element nodes; `_at` carries the element and component of the value being
    converted to the issue a converter may report."""

    def __init__(self, where: Location) -> None:
        super().__init__(where)
        self._at: tuple[int | None, int | None] | None = None

    def first(self, f: TField, node: Node, rec: Record) -> tuple[Anchor | None, bool] | None:
        if not f.fast:
            return super().first(f, node, rec)  # the generic walk (issues are placed by segment_of)
        empty: Anchor | None = None
        rejected = False
        convert = f.convert
        for pick in f.picks:
            assert isinstance(pick, EdifactPath)
            e, c = pick.element, pick.component
            for seg in pick.segments_of(node):
                if not e:
                    raw = seg.value()
                else:
                    comps = pick.components(seg)
                    if comps is None:
                        continue
                    if not c:
                        raw = comps[0].strip()
                    elif c <= len(comps):
                        raw = comps[c - 1].strip()
                    else:
                        continue
                if not raw:  # reported only when the field is required: the node is made for that
                    if empty is None:
                        made = seg.element(e) if e else None
                        empty = made.children[c - 1] if made and c else made or seg
                    continue
                if convert is None:
                    rec.put(f.name, raw)
                    return None
                self._at = (e or None, c or None)  # for an issue the converter reports on this value
                try:
                    value = convert(self, raw, seg, e)
                finally:
                    self._at = None
                if value is not None:
                    rec.put(f.name, value)
                    return None
                rejected = True  # and reported by the converter
        return empty, rejected

    def issue(
        self,
        code: IssueCode,
        severity: Severity,
        seg: Anchor | None,
        message: str,
        *,
        element: int | None = None,
        tag: str | None = None,
        bad_value: str | None = None,
    ) -> None:
        w = self.where
        segment, el, component = segment_of(seg) if isinstance(seg, Node) else (None, None, None)
        if self._at is not None and isinstance(seg, SegmentNode):
            el, component = self._at
        loc = Location(
            file=w.file,
            interchange=w.interchange,
            group=w.group,
            transaction=w.transaction,
            segment_position=segment.segment.position if segment is not None else None,
            segment_tag=segment.segment.tag if segment is not None else None,
            element=el,
            component=component,
        )
        self.issues.append(Issue(code, severity, loc, message, bad_value))

    def label(self, seg: Anchor, element: int) -> str:
        if not isinstance(seg, Node):
            return super().label(seg, element)
        segment, el, component = segment_of(seg)
        if self._at is not None and isinstance(seg, SegmentNode):
            el, component = self._at
        if segment is None:
            return seg.name
        text = segment.segment.tag
        if el is not None:
            text += f"{el:02d}"
        if component is not None:
            text += f"-{component:02d}"
        return text


def facts_of(message: edifact.Message) -> DocumentFacts:
    """What the envelope tells the builders: the interchange's date (the group's when it has one),
    UNB 0020 as the sequence when it is a number, and the source naming the message."""
    ic = message.interchange
    prepared = None
    if message.group is not None:
        prepared = edifact.parse_edifact_datetime(message.group.date + message.group.time)
    if prepared is None and ic is not None:
        prepared = ic.prepared_at()
    ref = ic.control_reference if ic is not None else ""
    # tuple.__new__: calling the NamedTuple class runs its Python-level __new__ (one per message)
    return _new(
        _DOCUMENT_FACTS,
        (
            prepared,
            int(ref) if ref.isdigit() else 0,
            f"edifact:{message.id.type}:{ref or '-'}:{message.reference}",
        ),
    )


_new: Final = tuple.__new__
_DOCUMENT_FACTS: Final = DocumentFacts


class JsonResult(NamedTuple):
    """A document's events as JSON lines (a NamedTuple: one is made per document)."""

    lines: str  # one event per line, exactly its `model_dump_json()`
    events: int  # how many lines
    issues: tuple[Issue, ...]


_JSON_RESULT: Final = JsonResult


def apply_edifact_json(compiled: CompiledEdifact, message: edifact.Message, ctx: MapContext) -> JsonResult:
    """`apply_edifact` with the events as JSON lines; commitments and shipments build no models (see
    `apply.apply_x12_json`, which does the same for X12)."""
    target = compiled.spec.target
    run, build, tree = _extract(compiled, message, ctx)
    writer = TREE_WRITERS.get(target)
    if writer is not None:
        texts = list(writer(build))
    else:
        texts = [e.model_dump_json() for e in TREE_BUILDERS[target](build)]
    dismantle(tree)
    return _new(_JSON_RESULT, ("".join([f"{t}\n" for t in texts]), len(texts), tuple(run.issues)))


def _extract(
    compiled: CompiledEdifact, message: edifact.Message, ctx: MapContext
) -> tuple[EdifactRun, Build, Node]:
    where = Location(
        file=ctx.file,
        interchange=message.interchange.control_reference if message.interchange else None,
        group=message.group.reference if message.group else None,
        transaction=message.reference or None,
    )
    run = EdifactRun(where)
    tree = message_tree(message)
    return run, Build(facts_of(message), ctx, run, run.run(compiled.program, tree)), tree


def apply_edifact(compiled: CompiledEdifact, message: edifact.Message, ctx: MapContext) -> MappingResult:
    """Events and issues for one message (issues never raise)."""
    run, build, tree = _extract(compiled, message, ctx)
    events = TREE_BUILDERS[compiled.spec.target](build)
    dismantle(tree)
    return MappingResult(tuple(events), tuple(run.issues))
