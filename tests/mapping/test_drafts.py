"""Events written from drafts (what `gateway translate` writes) against the validated models.

`apply_x12_json` serializes the builders' drafts without building models; `apply_x12` validates
them into models. For every map case, sample, corpus file, generated bench interchange and for
hypothesis-generated 855s and 856s (odd numbers, dates and codes, text that JSON must escape), both
give byte-identical JSON lines and the same issues, and each draft lists its model's fields in the
model's order; a target's JSON writer (`targets.WRITERS`) writes exactly `pydantic_core.to_json`
of its drafts, and `json_lines` writes any value as `to_json` does.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pydantic_core
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from bench.x12_bench import generate
from gateway import mapping
from gateway.canonical import models as canonical
from gateway.errors import FormatError, NoMapError
from gateway.formats.x12.model import TransactionSet
from gateway.formats.x12.reader import read
from gateway.mapping.apply import apply_x12_json
from gateway.mapping.engine import Extraction
from gateway.mapping.targets import DRAFTERS, WRITERS, Build, DocumentFacts, json_lines
from tests.formats.x12.text import group, interchange

REPO = Path(__file__).resolve().parents[2]
MAPS = REPO / "edi_maps"
REGISTRY = mapping.MapRegistry.load(MAPS)
MODELS: dict[str, type[BaseModel]] = {"commitment": canonical.Commitment, "shipment": canonical.Shipment}
NESTED: dict[str, type[BaseModel]] = {
    "schedule": canonical.CommitmentLine,
    "version": canonical.VersionStamp,
    "packages": canonical.Package,
    "lines": canonical.ShipmentLine,
}


def _sets(data: bytes) -> list[TransactionSet]:
    try:
        return [i for i in read(data, file_name="t.edi") if isinstance(i, TransactionSet)]
    except FormatError:
        return []


def _check_order(model: type[BaseModel], draft: object) -> None:
    assert isinstance(draft, dict)
    fields = model.model_fields
    # A field the model leaves out of its JSON while empty is left out of the draft while empty.
    assert list(draft) == [n for n, f in fields.items() if n in draft or f.exclude_if is None]
    for name, value in draft.items():
        inner = NESTED.get(name)
        if inner is None:
            continue
        for item in value if isinstance(value, tuple) else (value,):
            _check_order(inner, item)


def _compare(ts: TransactionSet) -> int:
    """Both ways for one set; the number of events."""
    try:
        compiled = REGISTRY.resolve("x12", ts.set_id, ts.version)
    except NoMapError:
        return 0
    ctx = mapping.MapContext(partner_id="p", document_id=f"d-{ts.ordinal}", file="t.edi")
    models = mapping.apply_x12(compiled, ts, ctx)
    written = apply_x12_json(compiled, ts, ctx)
    assert written.lines == "".join(f"{e.model_dump_json()}\n" for e in models.events)
    assert written.issues == models.issues
    assert written.events == len(models.events)
    drafter = DRAFTERS.get(compiled.spec.target)
    if drafter is not None:
        run = Extraction(ts, ctx.file)
        root = run.run(compiled.root)
        drafts = drafter(Build(DocumentFacts.of_x12(ts), ctx, run, root))
        for d in drafts:
            _check_order(MODELS[compiled.spec.target], d)
        writer = WRITERS.get(compiled.spec.target)
        if writer is not None:
            again = Extraction(ts, ctx.file)
            texts = writer(Build(DocumentFacts.of_x12(ts), ctx, again, again.run(compiled.root)))
            assert list(texts) == [pydantic_core.to_json(d).decode() for d in drafts]
            assert again.issues == run.issues
    return written.events


def _files(shared_dir: Path) -> list[Path]:
    files = sorted((shared_dir / "corpus" / "x12").glob("*.edi"))
    files += sorted((REPO / "samples").rglob("*.edi"))
    return files + sorted(MAPS.rglob("*.cases/*.edi"))


def test_every_repository_and_corpus_document_writes_the_models_json(shared_dir: Path) -> None:
    events = 0
    for path in _files(shared_dir):
        for ts in _sets(path.read_bytes()):
            events += _compare(ts)
    assert events > 50


@pytest.mark.parametrize("kind", ["855", "856"])
def test_generated_bench_interchanges_write_the_models_json(kind: str, tmp_path: Path) -> None:
    path = tmp_path / f"{kind}.edi"
    generate(path, size_mb=0.05, kind=kind, min_sets=40)
    assert sum(_compare(ts) for ts in _sets(path.read_bytes())) >= 40


# Values that exercise conversions and JSON escaping; none holds a delimiter of the interchange.
_TEXT = st.text(alphabet=st.sampled_from([*'AZaz09 -./"\\\t\x01\x7féß€😀', "\u2028"]), min_size=0, max_size=8)
_NUMBER = st.sampled_from(["", "0", "12", "1.50", "-3", "1E+2", ".5", "007", "x", "1e400", "NaN", "9" * 30])
_DATE = st.sampled_from(["", "20240120", "240120", "20241341", "2024012", "abc", "19991231"])
_TIME = st.sampled_from(["", "1230", "123045", "2561", "12"])
_ACTION = st.sampled_from(["IA", "IR", "IB", "IC", "IP", "IQ", "DR", "BP", "ID", "IH", "ZZ", ""])
_QUAL = st.sampled_from(["002", "010", "011", "017", "067", "068", "069", "074", "999", ""])


@st.composite
def _ack(draw: st.DrawFn, n: int) -> list[str]:
    segs = [f"ST*855*{n:04d}"]
    bak = ["00", draw(st.sampled_from(["AC", "AD", "RJ", "AH", "QQ"])), draw(_TEXT), draw(_DATE)]
    segs.append("BAK*" + "*".join([*bak, "", "", "", draw(_TEXT), draw(_DATE)]))
    if draw(st.booleans()):
        segs.append(f"CUR*SE*{draw(_TEXT)}")
    for line in range(draw(st.integers(0, 3))):
        segs.append(
            f"PO1*{draw(st.sampled_from([str(line + 1), '']))}*{draw(_NUMBER)}*{draw(_TEXT)}*{draw(_NUMBER)}"
            f"*PE*BP*{draw(_TEXT)}*VP*{draw(_TEXT)}"
        )
        if draw(st.booleans()):
            segs.append(f"CTP**UCP*{draw(_NUMBER)}")
        for _ in range(draw(st.integers(0, 2))):
            segs.append(f"ACK*{draw(_ACTION)}*{draw(_NUMBER)}*{draw(_TEXT)}*{draw(_QUAL)}*{draw(_DATE)}")
    segs.append(f"SE*{len(segs) + 1}*{n:04d}")
    return segs


@st.composite
def _ship_notice(draw: st.DrawFn, n: int) -> list[str]:
    segs = [
        f"ST*856*{n:04d}",
        f"BSN*{draw(st.sampled_from(['00', '05', '03', '99']))}*{draw(_TEXT)}"
        f"*{draw(_DATE)}*{draw(_TIME)}*0001",
    ]
    hl = 0
    segs += [f"HL*{hl + 1}**S", f"TD1*CTN*1****G*{draw(_NUMBER)}*{draw(_TEXT)}", f"REF*BM*{draw(_TEXT)}"]
    segs += [f"DTM*011*{draw(_DATE)}", f"N1*ST*{draw(_TEXT)}*92*{draw(_TEXT)}"]
    hl = 1
    for _ in range(draw(st.integers(0, 2))):
        hl += 1
        order = hl
        segs += [f"HL*{hl}*1*O", f"PRF*{draw(_TEXT)}"]
        for _ in range(draw(st.integers(0, 2))):
            hl += 1
            pack = hl
            segs += [
                f"HL*{hl}*{order}*{draw(st.sampled_from(['P', 'T', 'ZZ', 'Q']))}",
                f"MAN*GM*{draw(_TEXT)}",
            ]
            for _ in range(draw(st.integers(0, 2))):
                hl += 1
                parent = draw(st.sampled_from([pack, order, hl + 5]))
                segs += [f"HL*{hl}*{parent}*I", f"LIN**BP*{draw(_TEXT)}*SN*{draw(_TEXT)}*LT*{draw(_TEXT)}"]
                segs.append(f"SN1**{draw(_NUMBER)}*{draw(_TEXT)}")
    segs.append(f"SE*{len(segs) + 1}*{n:04d}")
    return segs


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_generated_855s_and_856s_write_the_models_json(data: st.DataObject) -> None:
    acks = [data.draw(_ack(n)) for n in range(1, data.draw(st.integers(1, 3)) + 1)]
    notices = [data.draw(_ship_notice(n)) for n in range(1, data.draw(st.integers(1, 3)) + 1)]
    text = interchange(group(acks, gs01="PR", control="1"), group(notices, gs01="SH", control="2"))
    for ts in _sets(text.encode()):
        _compare(ts)


_ZONES = st.sampled_from([UTC, timezone(timedelta(hours=-5)), timezone(timedelta(0), "Z0")])


@settings(max_examples=300, deadline=None)
@given(
    st.text(),
    st.none() | st.text(),
    st.none() | st.decimals(),
    st.none() | st.dates(),
    st.dates() | st.datetimes(timezones=_ZONES),
)
def test_json_lines_write_values_as_pydantic_core_does(
    text: str, maybe: str | None, number: Decimal | None, day: date | None, moment: date
) -> None:
    def core(value: object) -> str:
        return pydantic_core.to_json(value).decode()

    assert json_lines.quoted(text) == core(text)
    assert json_lines.text(maybe) == core(maybe)
    assert json_lines.number(number) == core(number)
    assert json_lines.day(day) == core(day)
    assert json_lines.moment(moment) == core(moment)
    for member in (*canonical.LineAction, *canonical.CommitmentStatus):
        assert json_lines.quoted(member) == core(member)


def test_json_lines_write_each_zone_of_the_same_instant_with_its_own_offset() -> None:
    at = datetime(2024, 1, 10, 12, tzinfo=UTC)
    other = at.astimezone(timezone(timedelta(hours=1)))
    for value in (at, other, at, date(2024, 1, 10), other):
        assert json_lines.moment(value) == pydantic_core.to_json(value).decode()


def test_json_lines_write_equal_decimals_with_their_own_text() -> None:
    for text in ("1.5", "1.50", "1.5", "-0", "0", "1E+2", "100", "1.50"):
        value = Decimal(text)
        assert json_lines.number(value) == pydantic_core.to_json(value).decode() == f'"{text}"'
