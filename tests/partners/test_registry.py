"""The partner registry: loading partners/*.yaml, collected problems, lookups by id and envelope ids."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from gateway.errors import PartnerConfigError, UnknownPartnerError
from gateway.partners.model import ItemXref, PartnerConfig, X12Settings
from gateway.partners.registry import PartnerRegistry, load_partners, validate_references


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def minimal(partner_id: str, *, isa_id: str = "SENDER1", extra: str = "") -> str:
    body = f"""\
        id: {partner_id}
        name: {partner_id.title()}
        x12:
          isa_qualifier: ZZ
          isa_id: {isa_id}
        """
    return textwrap.dedent(body) + extra


def problems_of(exc: pytest.ExceptionInfo[PartnerConfigError]) -> list[tuple[str, str]]:
    return [(p["file"], p["field"]) for p in exc.value.extensions["problems"]]


def partner(partner_id: str, isa_id: str | None = None, gs_id: str | None = None) -> PartnerConfig:
    x12 = X12Settings(isa_id=isa_id, gs_id=gs_id) if isa_id is not None else None
    return PartnerConfig(id=partner_id, name=partner_id, x12=x12)


# ---------------------------------------------------------------- the repository's own partners


def test_loads_the_demo_partners(repo_root: Path) -> None:
    registry = load_partners(repo_root / "partners")

    assert [p.id for p in registry.all()] == [
        "acme-fasteners",
        "borealis-plastics",
        "cascade-electronics",
        "dunmore-packaging",
        "elmfield-textiles",
        "fjord-metalworks",
        "northwind-metals",
        "rheinwerk-bearings",
    ]
    acme, borealis, cascade, fjord = (
        registry.get(p)
        for p in ("acme-fasteners", "borealis-plastics", "cascade-electronics", "fjord-metalworks")
    )
    assert acme.x12 is not None
    assert borealis.x12 is not None
    assert cascade.x12 is not None
    assert (acme.x12.version, borealis.x12.version, cascade.x12.version) == ("004010", "005010", "004010")
    assert (acme.x12.delimiters.element, borealis.x12.delimiters.element, cascade.x12.delimiters.element) == (
        "*",
        "|",
        "+",
    )
    assert cascade.x12.delimiters.segment == "\n"
    assert borealis.x12.delimiters.repetition == "{"
    assert ItemXref(buyer_item="FST-1003", supplier_item="ACF-W8", upc="071234100309") in acme.items
    with_filedrop = [p.id for p in registry.all() if p.channels.filedrop is not None]
    assert with_filedrop == [
        "acme-fasteners",
        "borealis-plastics",
        "cascade-electronics",
        "rheinwerk-bearings",
    ]
    assert fjord.channels.as2 is not None
    assert fjord.channels.outbound_transport == "as2"


def test_demo_partners_reference_nothing_missing(repo_root: Path) -> None:
    registry = load_partners(repo_root / "partners")
    assert validate_references(registry, repo_root / "edi_maps") == []


# ---------------------------------------------------------------- bad files


BAD_FILES = [
    pytest.param("colour: red\n", "colour", "Extra inputs", id="unknown-key"),
    pytest.param(
        "x12:\n  isa_qualifier: ZZ\n  isa_id: S\n  version: 004010\n", "x12.version", "quotes", id="octal"
    ),
    pytest.param(
        "x12:\n  isa_id: S\n  functional_ack: 997\n", "x12.functional_ack", "quotes", id="ack-number"
    ),
    pytest.param(
        "x12:\n  isa_id: S\n  delimiters: {element: ab}\n", "x12.delimiters.element", "one char", id="delim"
    ),
    pytest.param("x12:\n  isa_id: SIXTEEN-CHARS-ID\n", "x12.isa_id", "1 to 15", id="long-isa-id"),
    pytest.param("tolerances: {quantity_pct: -1}\n", "tolerances.quantity_pct", "greater than", id="neg-tol"),
    pytest.param(
        "items:\n  - {buyer_item: A}\n  - {buyer_item: B}\n", "items[1].supplier_item", "required", id="item"
    ),
    pytest.param(
        "units:\n  - {from_unit: CA, to_unit: EA, factor: 0}\n", "units[0].factor", "greater", id="factor"
    ),
    pytest.param("sla: {po_ack_hours: 0}\n", "sla.po_ack_hours", "greater", id="sla"),
    pytest.param("mode: staging\n", "mode", "production", id="mode"),
    pytest.param("channels: {filedrop: {}}\n", "channels.filedrop.root", "required", id="filedrop"),
]


@pytest.mark.parametrize(("yaml_text", "field", "message"), BAD_FILES)
def test_a_bad_field_names_the_file_and_the_field(
    tmp_path: Path, yaml_text: str, field: str, message: str
) -> None:
    write(tmp_path, "good.yaml", minimal("good"))
    write(tmp_path, "bad.yaml", "id: bad\nname: Bad\n" + yaml_text)

    with pytest.raises(PartnerConfigError) as exc:
        load_partners(tmp_path)

    assert ("bad.yaml", field) in problems_of(exc)
    assert f"bad.yaml: {field}: " in str(exc.value)
    assert message in str(exc.value)
    assert all(f == "bad.yaml" for f, _ in problems_of(exc))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("id: bad\nname: [unclosed\n", "is not valid YAML", id="syntax"),
        pytest.param("id: bad\nname: One\nname: Two\n", "found the key 'name' twice", id="duplicate-key"),
        pytest.param("- id: bad\n", "mapping of settings", id="not-a-mapping"),
        pytest.param("", "mapping of settings", id="empty"),
    ],
)
def test_a_file_that_is_not_a_settings_mapping_is_named(tmp_path: Path, text: str, message: str) -> None:
    write(tmp_path, "bad.yaml", text)

    with pytest.raises(PartnerConfigError) as exc:
        load_partners(tmp_path)

    assert problems_of(exc) == [("bad.yaml", "")]
    assert "- bad.yaml: " in str(exc.value)
    assert message in str(exc.value)


def test_every_problem_of_every_file_is_reported_at_once(tmp_path: Path) -> None:
    write(tmp_path, "one.yaml", "id: one\ncolour: red\ntolerances: {price_pct: -2}\n")
    write(tmp_path, "two.yaml", "id: two\nname: Two\nsla: {ship_grace_days: -1}\n")

    with pytest.raises(PartnerConfigError) as exc:
        load_partners(tmp_path)

    assert sorted(problems_of(exc)) == [
        ("one.yaml", "colour"),
        ("one.yaml", "name"),
        ("one.yaml", "tolerances.price_pct"),
        ("two.yaml", "sla.ship_grace_days"),
    ]
    assert str(exc.value).startswith("4 problem(s)")


def test_the_partner_id_must_be_the_file_name(tmp_path: Path) -> None:
    write(tmp_path, "acme.yaml", minimal("acme-fasteners"))

    with pytest.raises(PartnerConfigError) as exc:
        load_partners(tmp_path)

    assert problems_of(exc) == [("acme.yaml", "id")]


def test_rejects_a_partner_id_used_twice(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", minimal("a1", isa_id="ONE"))
    write(tmp_path, "b.yaml", minimal("a1", isa_id="TWO"))

    with pytest.raises(PartnerConfigError) as exc:
        load_partners(tmp_path)

    assert "b.yaml: id: partner id 'a1' is also used in a.yaml" in str(exc.value)


def test_rejects_two_partners_with_the_same_envelope_identifiers(tmp_path: Path) -> None:
    write(tmp_path, "first.yaml", minimal("first", isa_id="SHARED"))
    write(tmp_path, "second.yaml", minimal("second", isa_id="SHARED   "))

    with pytest.raises(PartnerConfigError) as exc:
        load_partners(tmp_path)

    assert problems_of(exc) == [("second.yaml", "x12.isa_id")]
    assert "ZZ/SHARED with GS02 SHARED are also used in first.yaml" in str(exc.value)


def test_partners_may_share_an_isa_id_when_their_gs02_differ(tmp_path: Path) -> None:
    write(tmp_path, "east.yaml", minimal("east", isa_id="HOLDCO", extra="  gs_id: HOLDCO-EAST\n"))
    write(tmp_path, "west.yaml", minimal("west", isa_id="HOLDCO", extra="  gs_id: HOLDCO-WEST\n"))

    assert len(load_partners(tmp_path)) == 2


@pytest.mark.parametrize(
    ("delimiters", "version", "field"),
    [
        pytest.param(
            "{element: '*', component: '*'}", "004010", "x12.delimiters.component", id="element=comp"
        ),
        pytest.param(
            "{segment: '~', element: '~'}", "004010", "x12.delimiters.segment", id="segment=element"
        ),
        pytest.param("{element: '^', repetition: '^'}", "005010", "x12.delimiters.repetition", id="rep-5010"),
    ],
)
def test_rejects_delimiters_that_collide(tmp_path: Path, delimiters: str, version: str, field: str) -> None:
    extra = f'  version: "{version}"\n  delimiters: {delimiters}\n'
    write(tmp_path, "px.yaml", minimal("px", extra=extra))

    with pytest.raises(PartnerConfigError) as exc:
        load_partners(tmp_path)

    assert problems_of(exc) == [("px.yaml", field)]


def test_a_repetition_separator_equal_to_another_delimiter_is_fine_in_004010(tmp_path: Path) -> None:
    extra = '  version: "004010"\n  delimiters: {element: "^", repetition: "^"}\n'
    write(tmp_path, "px.yaml", minimal("px", extra=extra))

    assert len(load_partners(tmp_path)) == 1


@pytest.mark.parametrize(
    ("units", "field", "message"),
    [
        pytest.param(
            "[{from_unit: CA, to_unit: EA, factor: 12}, {from_unit: ca, to_unit: ea, factor: 10}]",
            "units[1]",
            "repeats the conversion of units[0]",
            id="duplicate",
        ),
        pytest.param("[{from_unit: EA, to_unit: EA, factor: 1}]", "units[0]", "to itself", id="identity"),
    ],
)
def test_rejects_unit_conversions_that_cannot_be_meant(
    tmp_path: Path, units: str, field: str, message: str
) -> None:
    write(tmp_path, "px.yaml", minimal("px") + f"units: {units}\n")

    with pytest.raises(PartnerConfigError) as exc:
        load_partners(tmp_path)

    assert problems_of(exc) == [("px.yaml", field)]
    assert message in str(exc.value)


def test_the_same_conversion_for_different_items_is_fine(tmp_path: Path) -> None:
    case_of_12 = "{from_unit: CA, to_unit: EA, factor: 12, item: A}"
    case_of_6 = "{from_unit: CA, to_unit: EA, factor: 6, item: B}"
    units = f"[{case_of_12}, {case_of_6}]"
    write(tmp_path, "px.yaml", minimal("px") + f"units: {units}\n")

    assert len(load_partners(tmp_path).get("px").units) == 2


def test_rejects_an_item_cross_reference_listed_twice(tmp_path: Path) -> None:
    items = "[{buyer_item: A, supplier_item: X}, {buyer_item: A, supplier_item: X, upc: '1'}]"
    write(tmp_path, "px.yaml", minimal("px") + f"items: {items}\n")

    with pytest.raises(PartnerConfigError) as exc:
        load_partners(tmp_path)

    assert problems_of(exc) == [("px.yaml", "items[1]")]


# ---------------------------------------------------------------- items CSV


def test_items_csv_rows_are_appended_to_the_inline_items(tmp_path: Path) -> None:
    write(
        tmp_path,
        "px.yaml",
        minimal("px") + "items: [{buyer_item: A, supplier_item: X}]\nitems_csv: xref/p.csv\n",
    )
    (tmp_path / "xref").mkdir()
    write(tmp_path / "xref", "p.csv", "buyer_item,supplier_item,upc\nB,Y,012345678905\n\nC , Z,\n")

    items = load_partners(tmp_path).get("px").items

    assert items == (
        ItemXref(buyer_item="A", supplier_item="X"),
        ItemXref(buyer_item="B", supplier_item="Y", upc="012345678905"),
        ItemXref(buyer_item="C", supplier_item="Z"),
    )


def test_items_csv_without_a_upc_column_is_fine(tmp_path: Path) -> None:
    write(tmp_path, "px.yaml", minimal("px") + "items_csv: p.csv\n")
    write(tmp_path, "p.csv", "supplier_item,buyer_item\nY,B\n")

    assert load_partners(tmp_path).get("px").items == (ItemXref(buyer_item="B", supplier_item="Y"),)


def test_a_missing_items_csv_names_the_partner_file(tmp_path: Path) -> None:
    write(tmp_path, "px.yaml", minimal("px") + "items_csv: nowhere.csv\n")

    with pytest.raises(PartnerConfigError) as exc:
        load_partners(tmp_path)

    assert problems_of(exc) == [("px.yaml", "items_csv")]
    assert "nowhere.csv" in str(exc.value)


def test_an_absolute_items_csv_path_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "p.csv", "buyer_item,supplier_item\nB,Y\n")
    write(tmp_path, "px.yaml", minimal("px") + f"items_csv: {(tmp_path / 'p.csv').as_posix()}\n")

    with pytest.raises(PartnerConfigError) as exc:
        load_partners(tmp_path)

    assert problems_of(exc) == [("px.yaml", "items_csv")]


@pytest.mark.parametrize(
    ("csv_text", "expected"),
    [
        pytest.param("buyer_item,upc\nB,1\n", [("p.csv", "header")], id="missing-column"),
        pytest.param(
            "buyer_item,supplier_item,colour\nB,Y,red\n", [("p.csv", "header")], id="unknown-column"
        ),
        pytest.param(
            "buyer_item,supplier_item,upc\nA,X,\nB,,\n,Z,\n",
            [("p.csv", "line 3.supplier_item"), ("p.csv", "line 4.buyer_item")],
            id="empty-values",
        ),
        pytest.param("buyer_item,supplier_item\nA,X,extra\n", [("p.csv", "line 2")], id="extra-field"),
    ],
)
def test_a_bad_items_csv_names_the_csv_row_and_column(
    tmp_path: Path, csv_text: str, expected: list[tuple[str, str]]
) -> None:
    write(tmp_path, "px.yaml", minimal("px") + "items_csv: p.csv\n")
    write(tmp_path, "p.csv", csv_text)

    with pytest.raises(PartnerConfigError) as exc:
        load_partners(tmp_path)

    assert problems_of(exc) == expected


def test_a_csv_row_duplicating_an_inline_item_is_rejected(tmp_path: Path) -> None:
    write(
        tmp_path, "px.yaml", minimal("px") + "items: [{buyer_item: A, supplier_item: X}]\nitems_csv: p.csv\n"
    )
    write(tmp_path, "p.csv", "buyer_item,supplier_item\nA,X\n")

    with pytest.raises(PartnerConfigError) as exc:
        load_partners(tmp_path)

    assert problems_of(exc) == [("px.yaml", "items[1]")]


# ---------------------------------------------------------------- directory handling and lookups


def test_a_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PartnerConfigError, match="does not exist"):
        load_partners(tmp_path / "absent")


def test_an_empty_directory_gives_an_empty_registry_and_other_files_are_ignored(tmp_path: Path) -> None:
    write(tmp_path, "notes.txt", "not a partner")
    write(tmp_path, "old.yml", "not: read")

    registry = load_partners(tmp_path)

    assert len(registry) == 0
    assert registry.all() == ()


def test_get_returns_the_partner_or_raises_unknown_partner() -> None:
    registry = PartnerRegistry([partner("bb"), partner("aa")])

    assert registry.get("aa").id == "aa"
    assert [p.id for p in registry] == ["aa", "bb"]
    assert "aa" in registry
    assert "zz" not in registry
    with pytest.raises(UnknownPartnerError) as exc:
        registry.get("zz")
    assert exc.value.extensions == {"partner_id": "zz"}


def test_building_a_registry_by_hand_runs_the_cross_partner_checks() -> None:
    with pytest.raises(PartnerConfigError, match="also used in"):
        PartnerRegistry([partner("aa", "SAME"), partner("bb", "SAME")])


def test_identify_x12_strips_the_padding_of_isa06() -> None:
    registry = PartnerRegistry([partner("acme", "ACMEFAST"), partner("no-x12")])

    found = registry.identify_x12("ZZ", "ACMEFAST       ")

    assert found is not None
    assert found.id == "acme"


@pytest.mark.parametrize(
    ("qualifier", "sender"),
    [
        pytest.param("ZZ", "acmefast", id="case-sensitive"),
        pytest.param("01", "ACMEFAST", id="other-qualifier"),
        pytest.param("ZZ", " ACMEFAST", id="leading-blank"),
        pytest.param("ZZ", "UNKNOWN", id="unknown"),
    ],
)
def test_identify_x12_finds_nobody_for_other_identifiers(qualifier: str, sender: str) -> None:
    registry = PartnerRegistry([partner("acme", "ACMEFAST")])

    assert registry.identify_x12(qualifier, sender) is None


def test_identify_x12_uses_gs02_when_several_partners_share_an_isa_id() -> None:
    registry = PartnerRegistry(
        [
            partner("east", "HOLDCO", "HOLDCO-EAST"),
            partner("west", "HOLDCO", "HOLDCO-WEST"),
            partner("hq", "HOLDCO"),
        ]
    )

    def ident(gs02: str | None) -> str | None:
        found = registry.identify_x12("ZZ", "HOLDCO         ", gs02)
        return None if found is None else found.id

    assert ident("HOLDCO-WEST") == "west"
    assert ident("HOLDCO-EAST") == "east"
    assert ident("HOLDCO") == "hq"  # no gs_id: GS02 is the ISA id
    assert ident(None) is None  # ambiguous
    assert ident("HOLDCO-NORTH") is None
    assert ident("holdco-west") is None


def test_identify_x12_ignores_gs02_when_the_isa_id_is_unique() -> None:
    registry = PartnerRegistry([partner("acme", "ACMEFAST", "ACMEGS")])

    found = registry.identify_x12("ZZ", "ACMEFAST", "SOMETHING-ELSE")

    assert found is not None
    assert found.id == "acme"


def test_identify_x12_returns_disabled_partners_too() -> None:
    disabled = PartnerConfig(id="old", name="Old", enabled=False, x12=X12Settings(isa_id="OLD"))

    found = PartnerRegistry([disabled]).identify_x12("ZZ", "OLD")

    assert found is not None
    assert not found.enabled


# ---------------------------------------------------------------- references


def test_validate_references_reports_missing_and_escaping_map_overrides(tmp_path: Path) -> None:
    maps = tmp_path / "edi_maps"
    (maps / "x12" / "855").mkdir(parents=True)
    (maps / "x12" / "855" / "acme.yaml").write_text("{}\n", encoding="utf-8")
    config = PartnerConfig(
        id="acme",
        name="Acme",
        maps={
            "x12/855": "x12/855/acme.yaml",
            "x12/856": "x12/856/acme.yaml",
            "x12/997": "../secrets.yaml",
            "x12/810": "/etc/passwd",
        },
    )

    messages = validate_references(PartnerRegistry([config]), maps)

    assert messages == [
        "acme: maps['x12/810']: '/etc/passwd' must be a path inside edi_maps/",
        "acme: maps['x12/856']: 'x12/856/acme.yaml' does not exist in edi_maps/",
        "acme: maps['x12/997']: '../secrets.yaml' must be a path inside edi_maps/",
    ]


def test_validate_references_is_empty_when_every_override_exists(tmp_path: Path) -> None:
    (tmp_path / "x12").mkdir()
    (tmp_path / "x12" / "855.yaml").write_text("{}\n", encoding="utf-8")
    config = PartnerConfig(id="acme", name="Acme", maps={"x12/855": "x12/855.yaml"})

    assert validate_references(PartnerRegistry([config]), tmp_path) == []
