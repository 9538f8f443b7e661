"""Load the maps under `edi_maps/` once at startup and resolve the one a document needs.

Layout (X12 maps; other formats follow the same shape):

    edi_maps/<format>/<doctype>/<version>.yaml          inbound map (may `extends:` a sibling)
    edi_maps/<format>/<doctype>/<version>.out.yaml      outbound map (see `outbound.py`)
    edi_maps/<format>/<doctype>/overrides/<name>.yaml   partner patch, named in PartnerConfig.maps
    edi_maps/<format>/<doctype>/<version>.cases/        input/expected pairs run by the test suite

`extends` and overrides are deep merges of the YAML: mappings merge key by key, anything else
(a list of picks, a scalar) replaces, and `null` removes a key. The merged result is validated as a
`MapSpec` with `extra="forbid"`, so a typo in an override fails at load time, not on a document.

Maps whose `format` is cxml or json (tree documents) are kept in `trees` (see `tree_maps.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from gateway.errors import MappingError, NoMapError
from gateway.kit import yamlio
from gateway.mapping.compile import Program, compile_spec
from gateway.mapping.outbound import OutboundMap
from gateway.mapping.spec import MapSpec
from gateway.mapping.targets import check_target
from gateway.mapping.tree_maps import TREE_FORMATS, TreeMaps

_FIXED_KEYS = frozenset({"format", "set_id", "target", "versions", "extends"})


@dataclass(frozen=True, slots=True)
class CompiledMap:
    """A validated map (with any partner override applied), compiled for `apply_x12`."""

    key: str  # e.g. "x12/855/004010.yaml"
    override: str | None
    spec: MapSpec
    root: Program


def merge(base: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge `patch` over `base` (mappings merge, other values replace, None removes)."""
    out = dict(base)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = merge(out[k], v)
        else:
            out[k] = v
    return out


def normalize_version(version: str) -> str:
    """GS08 or ISA12 to the six-digit release: "005010X230" -> "005010", "00401" -> "004010"."""
    v = version.strip()
    if len(v) == 5 and v.isdigit():
        return v + "0"
    return v[:6]


class MapRegistry:
    """Every map under one root, validated; compiled maps are cached per (map, override)."""

    def __init__(
        self,
        raw: Mapping[str, Mapping[str, Any]],
        specs: Mapping[str, MapSpec],
        overrides: Mapping[str, Mapping[str, Any]],
        outbound: Mapping[str, OutboundMap],
        trees: TreeMaps | None = None,
    ) -> None:
        self.trees = trees or TreeMaps({}, {}, merge)
        self._raw = raw
        self._specs = specs
        self._overrides = overrides
        self._outbound = outbound
        self._index: dict[tuple[str, str, str], str] = {}
        for key, spec in specs.items():
            fmt, doctype = key.split("/")[:2]
            for v in spec.versions:
                other = self._index.setdefault((fmt, doctype, v), key)
                if other != key:
                    raise MappingError(f"{key} and {other} both claim {fmt} {doctype} {v}")
        self._cache: dict[tuple[str, str | None], CompiledMap] = {}

    @classmethod
    def load(cls, root: Path) -> MapRegistry:
        """Read and validate every map, override and outbound map under `root` (MappingError if bad)."""
        raw: dict[str, dict[str, Any]] = {}
        overrides: dict[str, dict[str, Any]] = {}
        outbound: dict[str, OutboundMap] = {}
        trees: dict[str, dict[str, Any]] = {}
        tree_overrides: dict[str, dict[str, Any]] = {}
        for path in sorted(root.glob("*/*/*.yaml")) + sorted(root.glob("*/*/overrides/*.yaml")):
            rel = path.relative_to(root).as_posix()
            data = _read(path, rel)
            if rel.split("/")[0] in TREE_FORMATS:
                (tree_overrides if path.parent.name == "overrides" else trees)[rel] = data
            elif path.parent.name == "overrides":
                if _FIXED_KEYS & data.keys():
                    raise MappingError(f"{rel}: an override may not set {sorted(_FIXED_KEYS & data.keys())}")
                overrides[rel] = data
            elif path.name.endswith(".out.yaml"):
                try:
                    outbound[rel] = OutboundMap.model_validate(data)
                except ValidationError as e:
                    raise MappingError(f"{rel}: {e}") from e
            else:
                raw[rel] = data
        specs = {rel: _validate(rel, _resolve_extends(rel, raw, ())) for rel in raw}
        registry = cls(raw, specs, overrides, outbound, TreeMaps(trees, tree_overrides, merge))
        for rel in overrides:  # every override must apply to every map of its document type
            fmt, doctype = rel.split("/")[:2]
            for key in specs:
                if key.startswith(f"{fmt}/{doctype}/"):
                    registry._compile(key, rel)
        return registry

    def map_keys(self) -> list[str]:
        return sorted(self._specs)

    def resolve(
        self, fmt: str, doctype: str, version: str, partner_overrides: Mapping[str, str] | None = None
    ) -> CompiledMap:
        """The map for this document, with the partner's override for `<fmt>/<doctype>` applied.

        Raises NoMapError when no map covers the document type and release (the caller skips it),
        and MappingError when the partner names an override that does not exist.
        """
        v = normalize_version(version)
        key = self._index.get((fmt, doctype, v))
        if key is None:
            raise NoMapError(
                f"no {fmt} map for {doctype} release {v}", format=fmt, doctype=doctype, version=v
            )
        override = (partner_overrides or {}).get(f"{fmt}/{doctype}")
        if override is not None and override not in self._overrides:
            raise MappingError(f"override {override!r} for {fmt}/{doctype} does not exist")
        return self._compile(key, override)

    def outbound(self, fmt: str, doctype: str, version: str) -> OutboundMap:
        v = normalize_version(version)
        for key, m in self._outbound.items():
            if key.startswith(f"{fmt}/{doctype}/") and v in m.versions:
                return m
        raise NoMapError(
            f"no outbound {fmt} map for {doctype} release {v}", format=fmt, doctype=doctype, version=v
        )

    def _compile(self, key: str, override: str | None) -> CompiledMap:
        cached = self._cache.get((key, override))
        if cached is not None:
            return cached
        spec = self._specs[key]
        if override is not None:
            data = merge(_resolve_extends(key, self._raw, ()), self._overrides[override])
            spec = _validate(f"{override} over {key}", data)
        compiled = CompiledMap(key, override, spec, compile_spec(spec))
        self._cache[(key, override)] = compiled
        return compiled


def _read(path: Path, rel: str) -> dict[str, Any]:
    try:
        data = yamlio.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise MappingError(f"{rel}: not valid YAML: {e}") from e
    if not isinstance(data, dict):
        raise MappingError(f"{rel}: a map is a YAML mapping")
    return data


def _resolve_extends(rel: str, raw: Mapping[str, Mapping[str, Any]], seen: tuple[str, ...]) -> dict[str, Any]:
    if rel in seen:
        raise MappingError(f"{rel}: `extends` loops through {' -> '.join(seen)}")
    if rel not in raw:
        raise MappingError(f"{seen[-1] if seen else rel}: extends {rel!r}, which does not exist")
    data = raw[rel]
    parent = data.get("extends")
    if parent is None:
        return dict(data)
    merged = merge(_resolve_extends(str(parent), raw, (*seen, rel)), data)
    merged["extends"] = parent
    return merged


def _validate(name: str, data: Mapping[str, Any]) -> MapSpec:
    try:
        spec = MapSpec.model_validate(data)
    except ValidationError as e:
        raise MappingError(f"{name}: {e}") from e
    problems = check_target(spec)
    if problems:
        raise MappingError(f"{name}: " + "; ".join(problems))
    return spec
