"""The tree-map path syntax, the engine's value rules, and map validation at load time."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from gateway.errors import MappingError
from gateway.formats.cxml.parser import parse
from gateway.formats.issues import IssueCode, Location, Severity
from gateway.formats.tree import from_json, parse_json
from gateway.mapping import MapRegistry
from gateway.mapping.registry import merge
from gateway.mapping.tree_engine import TreeRun, compile_document
from gateway.mapping.tree_maps import TreeMaps
from gateway.mapping.tree_paths import parse_condition, parse_path
from gateway.mapping.tree_spec import DocumentSpec

XML = parse(
    b'<cXML t="1"><R><Item n="1" k="a"><Q>5</Q></Item>'
    b'<Item n="2"><Q> </Q><E name="x">ex</E></Item></R></cXML>'
).root
JSON = from_json(parse_json(b'{"type": "a.b", "data": {"lines": [{"n": "1", "st": "ok"}, {"n": "2"}]}}'))


@pytest.mark.parametrize(
    ("root", "path", "values"),
    [
        (XML, "R/Item/@n", ["1", "2"]),
        (XML, "R/Item[@k=a]/Q", ["5"]),
        (XML, "R/Item[@k]/@n", ["1"]),
        (XML, "R/Item[E/@name=x|y]/@n", ["2"]),
        (XML, "R/Item[@n=1 and Q=5]/@n", ["1"]),
        (XML, "R/*/@n", ["1", "2"]),
        (XML, "/cXML/@t", ["1"]),
        (JSON, "/type", ["a.b"]),
        (JSON, "data/lines/n", ["1", "2"]),
        (JSON, "data/lines[st]/n", ["1"]),
        (JSON, "data/lines/../../type", ["a.b"]),
    ],
)
def test_paths_select_in_document_order(root: object, path: str, values: list[str]) -> None:
    from gateway.formats.tree import Node

    assert isinstance(root, Node)
    assert [n.value() for n in parse_path(path).select(root)] == values


def test_absolute_paths_work_from_any_node() -> None:
    item = next(XML.first("R").named("Item"))  # type: ignore[union-attr]
    assert [n.value() for n in parse_path("/cXML/@t").select(item)] == ["1"]
    assert [n.value() for n in parse_path("../../@t").select(item)] == ["1"]


@pytest.mark.parametrize("bad", ["", "a//b", "a[b", "a]b", "@x/y", "a[=1]", "a[/abs=1]", "a b", "a[b=]"])
def test_bad_paths_name_what_is_wrong(bad: str) -> None:
    with pytest.raises(ValueError, match=r"path|condition"):
        parse_path(bad)


def test_presence_conditions_count_nodes_with_content() -> None:
    assert parse_condition("data").holds(JSON)
    assert parse_condition("type=a.b|c").holds(JSON)
    assert not parse_condition("type=c").holds(JSON)
    assert not parse_condition("missing").holds(JSON)


def test_the_first_path_with_a_readable_value_wins_and_problems_are_located() -> None:
    spec = DocumentSpec.model_validate(
        {
            "target": "commitment",
            "fields": {"po_number": {"from": ["R/Item/Missing", "R/Item/@n"], "required": True}},
            "loops": {
                "line": {
                    "each": "R/Item",
                    "fields": {
                        "q": {"from": ["Q", "@n"], "as": "decimal", "required": True},
                        "e": {"from": "E[@name=x]", "many": True},
                        "which": {"from": ["@k", "@n"], "take": "name"},
                    },
                }
            },
        }
    )
    run = TreeRun(Location(file="f.xml", interchange="p-1"))
    rec = run.run(compile_document(spec), XML)
    assert rec.text("po_number") == "1"
    first, second = rec.children("line")
    assert (first.decimal("q"), first.text("which")) == (Decimal(5), "k")
    assert (second.decimal("q"), second.texts("e"), second.text("which")) == (
        Decimal(2),
        ["ex"],
        "n",
    )  # Q blank
    assert run.issues == []


def test_a_required_value_that_is_missing_or_empty_is_an_error_at_its_node() -> None:
    spec = DocumentSpec.model_validate(
        {
            "target": "commitment",
            "loops": {"line": {"each": "R/Item", "fields": {"q": {"from": "Q", "required": True}}}},
        }
    )
    run = TreeRun(Location(file="f.xml"))
    run.run(compile_document(spec), XML)
    ((code, severity, path, message),) = [
        (i.code, i.severity, i.location.path, i.message) for i in run.issues
    ]
    assert (code, severity, path) == (IssueCode.MISSING_VALUE, Severity.ERROR, "/cXML/R/Item[2]/Q")
    assert "q is required but empty" in message


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (
            {"format": "cxml", "doctype": "Xy", "versions": ["1.2"], "target": "commitment"},
            "needs header field",
        ),
        (
            {
                "format": "cxml",
                "doctype": "Xy",
                "versions": ["1.2"],
                "target": "commitment",
                "fields": {"po_number": {"from": "a", "code": "nope"}, "occurred_at": "b"},
            },
            "code table 'nope'",
        ),
        (
            {
                "format": "cxml",
                "doctype": "Xy",
                "versions": ["1.2"],
                "target": "commitment",
                "code_tables": {"header_status": {"a": "maybe"}},
                "fields": {"po_number": "a", "occurred_at": "b"},
            },
            "yields ['maybe']",
        ),
        (
            {
                "format": "cxml",
                "doctype": "Zz",
                "versions": ["1.2"],
                "target": "shipment",
                "fields": {"shipment_id": "a", "occurred_at": "b"},
            },
            "folder",
        ),
    ],
)
def test_maps_that_cannot_feed_their_builder_are_refused_at_load(
    data: dict[str, object], problem: str
) -> None:
    with pytest.raises(MappingError, match=re.escape(problem)):
        TreeMaps({"cxml/Xy/1.2.yaml": data}, {}, merge)


def test_a_partner_override_patches_a_cxml_map(tmp_path: Path) -> None:
    maps = Path(__file__).resolve().parents[2] / "edi_maps"
    registry = MapRegistry.load(maps)
    base = registry.trees.cxml("ConfirmationRequest", "1.2")
    assert base.override is None
    with pytest.raises(MappingError, match="does not exist"):
        registry.trees.cxml(
            "ConfirmationRequest", "1.2", {"cxml/ConfirmationRequest": "cxml/x/overrides/none.yaml"}
        )
