"""Every outbound change case under edi_maps/ (Benthos style): `<name>.json` beside `<name>.edi`.

Cases live in `<version>.out.cases/` next to the 860 outbound map they exercise. The input holds the
purchase order the partner has (`before`) and the new revision (`after`); the expected `.edi` is the
860 transaction set the gateway writes for it (ST to SE, one segment a line).
`pytest --update-golden` rewrites the expected files.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway import mapping
from gateway.canonical import models as canonical

MAPS = Path(__file__).resolve().parents[2] / "edi_maps"
CASES = sorted(MAPS.glob("**/*.out.cases/*.json"))
BUYER = mapping.Party(name="NORTHWIND MANUFACTURING", id="NWM")
SUPPLIER = mapping.Party(name="ACME FASTENERS", id="ACME")


def render(case: Path, registry: mapping.MapRegistry) -> str:
    fmt, doctype = case.parent.relative_to(MAPS).parts[:2]
    version = case.parent.name.removesuffix(".out.cases")
    data = json.loads(case.read_text(encoding="utf-8"))
    before = canonical.PurchaseOrder.model_validate(data["before"])
    after = canonical.PurchaseOrder.model_validate(data["after"])
    body = mapping.purchase_order_change_to_860(
        mapping.purchase_order_change(before, after),
        version=version,
        buyer=BUYER,
        supplier=SUPPLIER,
        map=registry.outbound(fmt, doctype, version),
    )
    segments = ["ST*860*0001", *("*".join((s.tag, *s.elements)) for s in body), f"SE*{len(body) + 2}*0001"]
    return "".join(s + "~\n" for s in segments)


@pytest.fixture(scope="module")
def registry() -> mapping.MapRegistry:
    return mapping.MapRegistry.load(MAPS)


def test_every_860_outbound_map_has_cases_beside_it() -> None:
    maps = sorted(MAPS.glob("x12/860/*.out.yaml"))
    assert maps
    for path in maps:
        cases = path.with_name(path.name.removesuffix(".yaml") + ".cases")
        assert list(cases.glob("*.json")), f"{path.relative_to(MAPS)} has no cases"


@pytest.mark.parametrize("case", CASES, ids=[str(c.relative_to(MAPS)) for c in CASES])
def test_outbound_case_matches_expected_output(
    case: Path, registry: mapping.MapRegistry, update_golden: bool
) -> None:
    actual = render(case, registry)
    expected_path = case.with_suffix(".edi")
    if update_golden or not expected_path.exists():
        expected_path.write_text(actual, encoding="utf-8")
        if not update_golden:
            pytest.fail(f"{expected_path.name} was missing and has been written; review and commit it")
    assert actual == expected_path.read_text(encoding="utf-8")
