"""Tree maps (cXML and JSON) loaded beside the X12 maps, and applied to one document.

    edi_maps/cxml/<Request>/<family>.yaml             a cXML request map (`versions: ["1.2"]`)
    edi_maps/cxml/<Request>/overrides/<name>.yaml     a partner patch, named in PartnerConfig.maps
    edi_maps/json/<kind>/<name>.yaml                  a JSON map, named by a portal or REST channel
    edi_maps/edifact/<MESSAGE>/<directory>.yaml       an EDIFACT message map (see `edifact_maps.py`)
    <map>.cases/                                      input (.xml, .in.json) / expected (.json) pairs

`MapRegistry.load` hands every YAML whose `format` is cxml or json to `TreeMaps`, which validates
and compiles each once (overrides are deep merges, as for X12 maps) and refuses a map whose code
tables or header fields do not fit its target's builder.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from gateway.errors import MappingError, NoMapError
from gateway.formats.cxml.model import Envelope
from gateway.formats.issues import Location
from gateway.formats.tree import Node
from gateway.mapping.edifact_maps import EdifactMaps
from gateway.mapping.targets import TREE_BUILDERS, TREE_TARGETS, Build, DocumentFacts, MapContext, check_fit
from gateway.mapping.targets.common import MappingResult
from gateway.mapping.tree_engine import TreeProgram, TreeRun, compile_document
from gateway.mapping.tree_paths import TreePath, parse_path
from gateway.mapping.tree_spec import CxmlMapSpec, DocumentSpec, JsonMapSpec

TREE_FORMATS = frozenset({"cxml", "json", "edifact"})
Merge = Callable[[Mapping[str, Any], Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class CompiledTree:
    """One kind of document, validated and compiled (with any partner override applied)."""

    key: str  # "cxml/ConfirmationRequest/1.2.yaml", or "json/portal/supplyhub.yaml#order.confirmed"
    override: str | None
    spec: DocumentSpec
    program: TreeProgram


@dataclass(frozen=True, slots=True)
class CompiledJson:
    key: str
    spec: JsonMapSpec
    account: TreePath | None
    kinds: Mapping[str, CompiledTree]

    def select(self, root: Node, kind: str | None = None) -> tuple[str, CompiledTree] | None:
        """The kind named (the REST poller names its resource), else the first whose `when` holds
        on the payload; None when no kind applies."""
        if kind is not None:
            found = self.kinds.get(kind)
            return (kind, found) if found is not None else None
        for name, compiled in self.kinds.items():
            if compiled.program.when is not None and compiled.program.applies(root):
                return name, compiled
        return None

    def account_of(self, root: Node) -> str | None:
        """The partner's account the payload names (`account:` of the map)."""
        if self.account is None:
            return None
        return next((v for n in self.account.select(root) if (v := n.value())), None)


class TreeMaps:
    """The cXML and JSON maps of one `edi_maps/` root."""

    def __init__(
        self, raw: Mapping[str, Mapping[str, Any]], overrides: Mapping[str, Mapping[str, Any]], merge: Merge
    ) -> None:
        self._raw = raw
        self._overrides = overrides
        self._merge = merge
        self._cxml: dict[str, CompiledTree] = {}
        self._json: dict[str, CompiledJson] = {}
        self._index: dict[tuple[str, str], str] = {}
        self._cache: dict[tuple[str, str | None], CompiledTree] = {}
        self.edifact = EdifactMaps(
            {k: v for k, v in raw.items() if k.startswith("edifact/")},
            {k: v for k, v in overrides.items() if k.startswith("edifact/")},
            merge,
        )
        raw = {k: v for k, v in raw.items() if not k.startswith("edifact/")}
        overrides = {k: v for k, v in overrides.items() if not k.startswith("edifact/")}
        self._raw, self._overrides = raw, overrides
        for key, data in raw.items():
            if data.get("format") == "json":
                self._json[key] = _compile_json(key, data)
                continue
            compiled = _compile_cxml(key, data, None)
            spec = compiled.spec
            assert isinstance(spec, CxmlMapSpec)
            if key.split("/")[1] != spec.doctype:
                raise MappingError(f"{key}: doctype {spec.doctype!r} must be its folder's name")
            for family in spec.versions:
                other = self._index.setdefault((spec.doctype, family), key)
                if other != key:
                    raise MappingError(f"{key} and {other} both claim cxml {spec.doctype} {family}")
            self._cxml[key] = compiled
            self._cache[(key, None)] = compiled
        for rel in overrides:  # every override must apply to every map of its request type
            doctype = rel.split("/")[1]
            for key in self._cxml:
                if key.split("/")[1] == doctype:
                    self._variant(key, rel)

    def map_keys(self) -> list[str]:
        return sorted([*self._cxml, *self._json, *self.edifact.map_keys()])

    def cxml(
        self, doctype: str, family: str, partner_overrides: Mapping[str, str] | None = None
    ) -> CompiledTree:
        """The map for a cXML request type and version family, with the partner's override for
        `cxml/<doctype>`; NoMapError when there is none."""
        key = self._index.get((doctype, family))
        if key is None:
            raise NoMapError(
                f"no cxml map for {doctype} version {family}", format="cxml", doctype=doctype, version=family
            )
        override = (partner_overrides or {}).get(f"cxml/{doctype}")
        if override is None:
            return self._cxml[key]
        if override not in self._overrides:
            raise MappingError(f"override {override!r} for cxml/{doctype} does not exist")
        return self._variant(key, override)

    def json(self, key: str) -> CompiledJson:
        """The JSON map a partner's portal or REST channel names; MappingError when it does not exist."""
        found = self._json.get(key)
        if found is None:
            raise MappingError(f"no JSON map {key!r} under edi_maps/")
        return found

    def _variant(self, key: str, override: str) -> CompiledTree:
        cached = self._cache.get((key, override))
        if cached is None:
            data = self._merge(self._raw[key], self._overrides[override])
            cached = self._cache[(key, override)] = _compile_cxml(f"{override} over {key}", data, override)
        return cached


def _problems(name: str, spec: DocumentSpec) -> None:
    problems = check_fit(TREE_TARGETS[spec.target], spec.target, spec.code_tables, spec.fields)
    if problems:
        raise MappingError(f"{name}: " + "; ".join(problems))


def _compile_cxml(key: str, data: Mapping[str, Any], override: str | None) -> CompiledTree:
    try:
        spec = CxmlMapSpec.model_validate(data)
    except ValidationError as e:
        raise MappingError(f"{key}: {e}") from e
    _problems(key, spec)
    return CompiledTree(key, override, spec, compile_document(spec))


def _compile_json(key: str, data: Mapping[str, Any]) -> CompiledJson:
    try:
        spec = JsonMapSpec.model_validate(data)
    except ValidationError as e:
        raise MappingError(f"{key}: {e}") from e
    kinds = {}
    for name, kind in spec.kinds.items():
        _problems(f"{key} kind {name}", kind)
        kinds[name] = CompiledTree(f"{key}#{name}", None, kind, compile_document(kind))
    account = parse_path(spec.account) if spec.account is not None else None
    return CompiledJson(key, spec, account, kinds)


def apply_tree(
    compiled: CompiledTree, document: Node, ctx: MapContext, facts: DocumentFacts, where: Location
) -> MappingResult:
    """Events and issues for one document (a node `compiled.program.documents(root)` gave). Issues
    never raise; a document whose required values are missing yields the issues and no event."""
    run = TreeRun(where)
    root = run.run(compiled.program, document)
    events = TREE_BUILDERS[compiled.spec.target](Build(facts, ctx, run, root))
    return MappingResult(tuple(events), tuple(run.issues))


def apply_cxml(compiled: CompiledTree, envelope: Envelope, ctx: MapContext) -> MappingResult:
    """Apply a cXML request map to the request element of a read envelope."""
    if envelope.body is None or envelope.name != getattr(compiled.spec, "doctype", None):
        raise MappingError(f"map {compiled.key} does not read {envelope.name or 'this document'}")
    facts = DocumentFacts(
        prepared_at=envelope.timestamp, sequence=0, source=f"cxml:{envelope.name}:{envelope.payload_id}"
    )
    where = Location(file=ctx.file, interchange=envelope.payload_id or None)
    return apply_tree(compiled, envelope.body, ctx, facts, where)
