"""The demo samples: envelope arithmetic of every X12 file, the ERP orders, and how they refer to each other.

The X12 checks use a deliberately tiny checker written here (split on the delimiters the ISA
declares, count, compare), independent of `gateway.formats.x12`, so a bug in the reader cannot hide
a bug in a sample. What each file should raise is listed in `samples/README.md`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from gateway.canonical.models import ProductionOrder, PurchaseOrder
from gateway.formats.x12 import reader
from gateway.formats.x12.model import TransactionSet
from gateway.partners.registry import PartnerRegistry, load_partners
from gateway.settings import BuyerIdentity

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLES = REPO_ROOT / "samples"
X12_FILES = sorted((SAMPLES / "x12").glob("*/*.edi"))
DELIBERATELY_UNKNOWN_PO = "4500009999"
DELIBERATELY_UNKNOWN_LINE = ("4500001003", "5")
FUNCTIONAL_IDS = {"855": "PR", "856": "SH", "997": "FA"}


# ---------------------------------------------------------------- a tiny independent X12 splitter


@dataclass(frozen=True)
class Interchange:
    element: str
    component: str
    terminator: str
    isa: str  # the ISA segment as written, without its terminator
    segments: tuple[tuple[str, ...], ...]  # every segment split on the element separator, ISA first


def split_x12(text: str) -> Interchange:
    """Read the delimiters from their fixed ISA positions and split; line breaks around segments go."""
    assert text.startswith("ISA"), "an interchange starts with ISA"
    element, component, terminator = text[3], text[104], text[105]
    padding = "".join(ch for ch in "\r\n" if ch != terminator)
    pieces = [p.strip(padding) for p in text.split(terminator)]
    assert pieces[-1] == "", "the last segment is terminated"
    return Interchange(
        element=element,
        component=component,
        terminator=terminator,
        isa=pieces[0],
        segments=tuple(tuple(p.split(element)) for p in pieces[:-1]),
    )


def envelope_errors(ic: Interchange) -> list[str]:
    """Every count and control-number pairing that does not hold (empty when the envelope is right)."""
    errors: list[str] = []
    segs = ic.segments
    if len(ic.isa) != 105 or len(segs[0]) != 17:
        errors.append("ISA is not the fixed 106-character layout with 16 elements")
    if segs[-1][0] != "IEA":
        return [*errors, "the file does not end with IEA"]
    groups = 0
    i = 1
    while i < len(segs) - 1:
        gs = segs[i]
        if gs[0] != "GS":
            return [*errors, f"segment {i + 1} is {gs[0]}, expected GS"]
        groups += 1
        sets = 0
        i += 1
        while segs[i][0] == "ST":
            st = segs[i]
            sets += 1
            start = i
            while segs[i][0] != "SE":
                i += 1
            se = segs[i]
            count = i - start + 1
            if se[1] != str(count):
                errors.append(f"SE01 {se[1]} but the set {st[2]} has {count} segments")
            if se[2] != st[2]:
                errors.append(f"SE02 {se[2]} differs from ST02 {st[2]}")
            i += 1
        ge = segs[i]
        if ge[0] != "GE":
            return [*errors, f"segment {i + 1} is {ge[0]}, expected GE"]
        if ge[1] != str(sets):
            errors.append(f"GE01 {ge[1]} but the group has {sets} sets")
        if ge[2] != gs[6]:
            errors.append(f"GE02 {ge[2]} differs from GS06 {gs[6]}")
        i += 1
    iea = segs[-1]
    if iea[1] != str(groups):
        errors.append(f"IEA01 {iea[1]} but the interchange has {groups} groups")
    if iea[2] != segs[0][13]:
        errors.append(f"IEA02 {iea[2]} differs from ISA13 {segs[0][13]}")
    return errors


def read_sample(path: Path) -> Interchange:
    return split_x12(path.read_text(encoding="ascii"))


def tagged(ic: Interchange, tag: str) -> list[tuple[str, ...]]:
    return [s for s in ic.segments if s[0] == tag]


def gs1_check_digit_ok(code: str) -> bool:
    """The GS1 mod-10 check digit (UPC-A, SSCC-18): weights 3, 1, 3, ... from the right, before the check."""
    if not code.isdigit():
        return False
    body, check = code[:-1], int(code[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def registry() -> PartnerRegistry:
    return load_partners(REPO_ROOT / "partners")


@pytest.fixture(scope="module")
def orders() -> dict[str, PurchaseOrder]:
    data = json.loads((SAMPLES / "erp" / "orders.json").read_text(encoding="utf-8"))
    return {p["po_number"]: PurchaseOrder.model_validate(p) for p in data["purchase_orders"]}


@pytest.fixture(scope="module")
def production() -> list[ProductionOrder]:
    data = json.loads((SAMPLES / "erp" / "orders.json").read_text(encoding="utf-8"))
    return [ProductionOrder.model_validate(p) for p in data["production_orders"]]


def sample_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


# ---------------------------------------------------------------- the checker checks


def test_the_checker_notices_broken_counts_and_control_numbers() -> None:
    good = (SAMPLES / "x12" / "acme-fasteners" / "997_000000417.edi").read_text(encoding="ascii")
    assert envelope_errors(split_x12(good)) == []

    broken = good.replace("SE*6*0417~", "SE*5*0417~").replace("GE*1*417~", "GE*2*418~")
    broken = broken.replace("IEA*1*000000417~", "IEA*2*000000999~")

    assert envelope_errors(split_x12(broken)) == [
        "SE01 5 but the set 0417 has 6 segments",
        "GE01 2 but the group has 1 sets",
        "GE02 418 differs from GS06 417",
        "IEA01 2 but the interchange has 1 groups",
        "IEA02 000000999 differs from ISA13 000000417",
    ]


def test_there_are_an_855_an_856_and_a_997_for_each_x12_partner(registry: PartnerRegistry) -> None:
    names = {(p.parent.name, p.name.split("_")[0]) for p in X12_FILES}
    # the demo's X12 suppliers (the EDIFACT one's samples: `test_the_edifact_samples_...`)
    file_drop = [c.id for c in registry.all() if c.channels.filedrop is not None and c.x12 is not None]
    assert names == {(pid, doc) for pid in file_drop for doc in ("855", "856", "997")}


def test_every_other_partner_has_samples_for_its_channel(registry: PartnerRegistry) -> None:
    speaking = {
        "cxml": {c.id for c in registry.all() if c.cxml is not None},
        "portal": {c.id for c in registry.all() if c.portal is not None},
        "rest": {c.id for c in registry.all() if c.channels.rest_poll is not None},
        "edifact": {c.id for c in registry.all() if c.edifact is not None},
    }
    for folder, partners in speaking.items():
        have = {p.name for p in (SAMPLES / folder).iterdir() if any(p.iterdir())}
        assert have == partners, folder


# ---------------------------------------------------------------- every X12 sample


@pytest.mark.parametrize("path", X12_FILES, ids=sample_id)
def test_envelope_counts_and_control_numbers_add_up(path: Path) -> None:
    assert envelope_errors(read_sample(path)) == []


@pytest.mark.parametrize("path", X12_FILES, ids=sample_id)
def test_envelope_is_addressed_from_the_partner_to_us_in_its_syntax(
    path: Path, registry: PartnerRegistry
) -> None:
    ic = read_sample(path)
    config = registry.get(path.parent.name)
    x12 = config.x12
    assert x12 is not None
    buyer = BuyerIdentity()
    isa = ic.segments[0]
    gs, st = tagged(ic, "GS")[0], tagged(ic, "ST")[0]

    assert (ic.element, ic.terminator, ic.component) == (
        x12.delimiters.element,
        x12.delimiters.segment,
        x12.delimiters.component,
    )
    assert isa[11] == ("U" if x12.isa12 == "00401" else x12.delimiters.repetition)
    assert (isa[5], isa[6]) == (x12.isa_qualifier, x12.isa_id.ljust(15))
    assert (isa[7], isa[8]) == (buyer.isa_qualifier, buyer.isa_id.ljust(15))
    assert (isa[12], gs[8]) == (x12.isa12, x12.version)
    assert (gs[2], gs[3]) == (x12.gs_id or x12.isa_id, buyer.gs_id)
    assert gs[1] == FUNCTIONAL_IDS[st[1]]
    assert path.name == f"{st[1]}_{isa[13]}.edi"
    assert registry.identify_x12(isa[5], isa[6], gs[2]) == config


def test_each_partner_lays_out_its_files_its_own_way() -> None:
    x12 = SAMPLES / "x12"
    for path in (x12 / "acme-fasteners").glob("*.edi"):
        assert path.read_text(encoding="ascii").count("~\n") == path.read_text(encoding="ascii").count("~")
    for path in (x12 / "borealis-plastics").glob("*.edi"):
        assert "\n" not in path.read_text(encoding="ascii")
    for path in (x12 / "cascade-electronics").glob("*.edi"):
        assert "~" not in path.read_text(encoding="ascii")


@pytest.mark.parametrize("path", sorted((SAMPLES / "x12").glob("*/997_*.edi")), ids=sample_id)
def test_997s_acknowledge_our_first_850_group(path: Path) -> None:
    ic = read_sample(path)

    assert tagged(ic, "AK1")[0][1:3] == ("PO", "1")
    assert tagged(ic, "AK2")[0][1:3] == ("850", "0001")
    ak9 = tagged(ic, "AK9")[0]
    assert ak9[2:5] == ("1", "1", "1")
    assert ak9[1] == tagged(ic, "AK5")[0][1]


def test_sscc_and_upc_check_digits_are_valid(registry: PartnerRegistry) -> None:
    codes: list[str] = []
    for path in X12_FILES:
        ic = read_sample(path)
        codes += [s[2] for s in tagged(ic, "MAN") if s[1] == "GM"]
        for seg in tagged(ic, "LIN") + tagged(ic, "PO1"):
            codes += [seg[k + 1] for k in range(len(seg) - 1) if seg[k] == "UP"]
    codes += [x.upc for p in registry.all() for x in p.items if x.upc is not None]

    assert len(codes) > 10
    assert [c for c in codes if not gs1_check_digit_ok(c)] == []
    assert all(len(s) == 18 for p in X12_FILES for s in (m[2] for m in tagged(read_sample(p), "MAN")))


# ---------------------------------------------------------------- ERP orders and cross references


def test_orders_json_validates_against_the_canonical_models(
    orders: dict[str, PurchaseOrder], production: list[ProductionOrder], registry: PartnerRegistry
) -> None:
    assert sorted(orders) == [
        "4500001001",
        "4500001002",
        "4500001003",
        "4500004001",  # cXML (dunmore-packaging)
        "4500004002",  # portal (elmfield-textiles)
        "4500004003",  # partner API (northwind-metals)
        "4500005001",  # EDIFACT (rheinwerk-bearings)
    ]
    assert {po.partner_id for po in orders.values()} == {
        p.id
        for p in registry.all()
        if p.channels.filedrop is not None or p.cxml or p.portal or p.channels.rest_poll or p.edifact
    }
    assert [p.order_id for p in production] == ["MO-70001", "MO-70002"]


def test_every_component_is_supplied_by_a_purchase_order_line(
    orders: dict[str, PurchaseOrder], production: list[ProductionOrder]
) -> None:
    supplied = {ln.buyer_item for po in orders.values() for ln in po.lines}
    needed = {c.item for mo in production for c in mo.components}
    assert needed <= supplied


def test_purchase_order_items_are_in_their_partner_cross_reference(
    orders: dict[str, PurchaseOrder], registry: PartnerRegistry
) -> None:
    for po in orders.values():
        xref = {(x.buyer_item, x.supplier_item) for x in registry.get(po.partner_id).items}
        assert {(ln.buyer_item, ln.supplier_item) for ln in po.lines} <= xref


def line_references(path: Path) -> list[tuple[str, str, dict[str, str]]]:
    """(PO number, line number, product ids) for each 855 PO1 and each 856 LIN (under its PRF)."""
    ic = read_sample(path)
    refs: list[tuple[str, str, dict[str, str]]] = []
    po = ""
    for seg in ic.segments:
        if seg[0] in ("BAK", "PRF"):
            po = seg[3] if seg[0] == "BAK" else seg[1]
        elif seg[0] in ("PO1", "LIN"):
            first_pair = 6 if seg[0] == "PO1" else 2
            ids = {seg[k]: seg[k + 1] for k in range(first_pair, len(seg) - 1, 2)}
            refs.append((po, seg[1], ids))
    return refs


def test_every_po_the_samples_name_exists_except_the_deliberately_unknown_one(
    orders: dict[str, PurchaseOrder],
) -> None:
    named: dict[str, set[str]] = {}
    for path in X12_FILES:
        for po, _, _ in line_references(path):
            named.setdefault(po, set()).add(path.parent.name)

    assert set(named) - set(orders) == {DELIBERATELY_UNKNOWN_PO}
    assert named[DELIBERATELY_UNKNOWN_PO] == {"cascade-electronics"}
    # 45000040xx: other channels; 45000050xx: EDIFACT
    x12_orders = {n for n in orders if not n.startswith(("45000040", "45000050"))}
    assert x12_orders <= set(named)
    for po, partners in named.items():
        if po != DELIBERATELY_UNKNOWN_PO:
            assert partners == {orders[po].partner_id}


def test_every_line_the_samples_name_exists_except_the_deliberately_unknown_one(
    orders: dict[str, PurchaseOrder], registry: PartnerRegistry
) -> None:
    unknown: list[tuple[str, str]] = []
    for path in X12_FILES:
        xref = {(x.buyer_item, x.supplier_item) for x in registry.get(path.parent.name).items}
        for po, line_number, ids in line_references(path):
            assert (ids["BP"], ids["VP"]) in xref, f"{path.name}: {ids} not in the cross-reference"
            line = orders[po].line(line_number) if po in orders else None
            if line is None:
                unknown.append((po, line_number))
            else:
                assert (line.buyer_item, line.supplier_item) == (ids["BP"], ids["VP"])

    assert sorted(set(unknown)) == sorted({DELIBERATELY_UNKNOWN_LINE, (DELIBERATELY_UNKNOWN_PO, "1")})


@pytest.mark.parametrize("path", X12_FILES, ids=sample_id)
def test_the_gateway_reader_reads_each_sample_without_issues(path: Path) -> None:
    items = list(reader.read(path.read_bytes()))
    issues = [issue for item in items for issue in getattr(item, "issues", ())]
    assert issues == []
    assert sum(1 for item in items if isinstance(item, TransactionSet)) == 1


# ---------------------------------------------------------------- the EDIFACT samples


EDIFACT_FILES = sorted((SAMPLES / "edifact").glob("*/*.edi"))


@pytest.mark.parametrize("path", EDIFACT_FILES, ids=sample_id)
def test_the_edifact_samples_trailers_add_up_and_they_come_from_their_partner(
    path: Path, registry: PartnerRegistry
) -> None:
    # Independent of the reader: the samples use the default service characters and release no
    # terminator, so splitting on "'" gives their segments.
    segments = [s.strip().split("+") for s in path.read_text(encoding="latin-1").split("'") if s.strip()]
    assert segments[0][0] == "UNA:"
    unb, body, unz = segments[1], segments[2:-1], segments[-1]
    partner = registry.get(path.parent.name)
    assert partner.edifact is not None
    assert unb[2] == f"{partner.edifact.unb_id}:{partner.edifact.unb_qualifier}"
    me = BuyerIdentity()
    assert unb[3] == f"{me.unb_id}:{me.unb_qualifier}"
    assert (unz[0], unz[1], unz[2]) == ("UNZ", "1", unb[5])
    assert (body[0][0], body[-1][0]) == ("UNH", "UNT")
    assert body[-1][1:] == [str(len(body)), body[0][1]]
    assert path.name == f"{body[0][2].split(':')[0]}_{unb[5]}.edi"
