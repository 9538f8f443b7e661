"""Every map under edi_maps/ loads, validates and compiles, with every override applied."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway import mapping

MAPS = Path(__file__).resolve().parents[2] / "edi_maps"
REGISTRY = mapping.MapRegistry.load(MAPS)
SPECS = {
    key: REGISTRY.resolve(key.split("/")[0], key.split("/")[1], Path(key).stem).spec
    for key in REGISTRY.map_keys()
}


@pytest.mark.parametrize("key", sorted(SPECS))
def test_each_map_resolves_for_every_release_it_claims(key: str) -> None:
    fmt, doctype = key.split("/")[:2]
    for version in SPECS[key].versions:
        assert REGISTRY.resolve(fmt, doctype, version).key == key


@pytest.mark.parametrize(
    "override", sorted(p.relative_to(MAPS).as_posix() for p in MAPS.glob("*/*/overrides/*.yaml"))
)
def test_each_override_applies_to_every_release_of_its_document(override: str) -> None:
    fmt, doctype = override.split("/")[:2]
    for key, spec in SPECS.items():
        if key.startswith(f"{fmt}/{doctype}/"):
            compiled = REGISTRY.resolve(fmt, doctype, spec.versions[0], {f"{fmt}/{doctype}": override})
            assert compiled.override == override


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_outbound_850_maps_exist_for_both_releases(version: str) -> None:
    assert version in REGISTRY.outbound("x12", "850", version).versions


def test_maps_cover_the_documents_we_read() -> None:
    assert {(s.set_id, s.target) for s in SPECS.values()} == {
        ("850", "purchase_order"),
        ("855", "commitment"),
        ("856", "shipment"),
        ("997", "functional_ack"),
    }
