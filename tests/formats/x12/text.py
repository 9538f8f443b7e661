"""Typed builders of X12 text for the codec tests."""

from __future__ import annotations

from collections.abc import Iterable

from gateway.formats.x12.model import X12Item
from gateway.formats.x12.reader import read


def isa(
    control: str = "000000001",
    *,
    el: str = "*",
    comp: str = ">",
    term: str = "~",
    version: str = "00401",
    isa11: str = "U",
    ack: str = "0",
    usage: str = "P",
    date: str = "240115",
    time: str = "1230",
) -> str:
    fields = ["00", " " * 10, "00", " " * 10, "ZZ", "SENDER".ljust(15), "ZZ", "RECEIVER".ljust(15)]
    fields += [date, time, isa11, version, control, ack, usage]
    return "ISA" + el + el.join(fields) + el + comp + term


def segments(*segs: str, term: str = "~") -> str:
    return "".join(s + term for s in segs)


def set_855(control: str = "0001", *, count: int | None = None, se_control: str | None = None) -> list[str]:
    body = ["BAK*00*AC*PO1*20240110", "PO1*1*10*EA*5**BP*PART1", "CTT*1"]
    n = count if count is not None else len(body) + 2
    return [f"ST*855*{control}", *body, f"SE*{n}*{se_control or control}"]


def group(
    sets: Iterable[list[str]], *, gs01: str = "PR", control: str = "1", ge: str | None = None
) -> list[str]:
    sets = list(sets)
    out = [f"GS*{gs01}*SENDER*RECEIVER*20240115*1230*{control}*X*004010"]
    for s in sets:
        out += s
    out.append(ge if ge is not None else f"GE*{len(sets)}*{control}")
    return out


def interchange(
    *groups: list[str], control: str = "000000001", iea: str | None = None, **isa_args: str
) -> str:
    body = [seg for g in groups for seg in g]
    tail = [iea] if iea is not None else [f"IEA*{len(groups)}*{control}"]
    return isa(control, **isa_args) + segments(*body, *tail)


def items(text: str | bytes, *, chunk_size: int = 1 << 20, scan: bool = True) -> list[X12Item]:
    data = text.encode() if isinstance(text, str) else text
    return list(read(data, file_name="test.edi", chunk_size=chunk_size, scan=scan))
