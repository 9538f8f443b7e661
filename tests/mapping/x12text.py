"""A tiny X12 splitter for the mapping tests: interchange text to TransactionSets.

Independent of the production reader on purpose (the maps are tested on their own); it trusts its
input: delimiters from the fixed-width ISA, segments split on the terminator, no envelope checks.
"""

from __future__ import annotations

from gateway.formats.x12.model import Delimiters, GroupHeader, InterchangeHeader, Segment, TransactionSet


def transaction_sets(text: str) -> list[TransactionSet]:
    text = text.lstrip()
    element, component, terminator = text[3], text[104], text[105]
    body = text.replace("\r", "").replace("\n", "") if terminator not in "\r\n" else text
    raw = [s.strip() for s in body.split(terminator) if s.strip()]
    interchange: InterchangeHeader | None = None
    group: GroupHeader | None = None
    current: list[Segment] | None = None
    out: list[TransactionSet] = []
    for chunk in raw:
        tag, *elements = chunk.split(element)
        if tag == "ISA":
            e = elements
            repetition = e[10] if e[11] >= "00402" else None
            interchange = InterchangeHeader(
                e[0],
                e[1],
                e[2],
                e[3],
                e[4],
                e[5].strip(),
                e[6],
                e[7].strip(),
                e[8],
                e[9],
                e[10],
                e[11],
                e[12],
                e[13],
                e[14],
                Delimiters(element, terminator, component, repetition),
            )
        elif tag == "GS":
            e = elements + [""] * 8
            group = GroupHeader(e[0], e[1], e[2], e[3], e[4], e[5], e[6], e[7])
        elif tag == "ST":
            current = [Segment("ST", tuple(elements), position=1)]
        elif current is not None:
            current.append(Segment(tag, tuple(elements), position=len(current) + 1))
            if tag == "SE":
                assert interchange is not None
                out.append(
                    TransactionSet(
                        interchange,
                        group,
                        current[0].get(1),
                        current[0].get(2),
                        tuple(current),
                        implementation_reference=current[0].get(3),
                        index=len(out),
                    )
                )
                current = None
    return out


def interchange(
    body: list[str],
    *,
    set_id: str,
    functional_id: str,
    version: str = "004010",
    control: str = "000000101",
    date: str = "20240315",
    time: str = "0930",
) -> str:
    """Wrap body segment strings (without ST/SE) in ISA/GS/ST..SE/GE/IEA."""
    isa_version = "00401" if version.startswith("0040") else "00501"
    rep = "U" if isa_version == "00401" else "^"
    segs = [
        f"ISA*00*          *00*          *ZZ*SUPPLIER       *ZZ*BUYERCO        *{date[2:]}*{time}*{rep}*"
        f"{isa_version}*{control}*0*P*>",
        f"GS*{functional_id}*SUPPLIER*BUYERCO*{date}*{time}*101*X*{version}",
        f"ST*{set_id}*0001",
        *body,
        f"SE*{len(body) + 2}*0001",
        "GE*1*101",
        f"IEA*1*{control}",
    ]
    return "~\n".join(segs) + "~\n"
