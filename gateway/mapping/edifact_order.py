"""ORDERS out (UN/EDIFACT purchase order, directories D96A and D01B) from a canonical purchase order:
the reverse map for partners whose `outbound_format` is edifact.

Segments in the ORDERS message structure's order: BGM (220 order; 1225 = 9 original, 5 replace for a
revision), DTM 137, RFF+PP for a revision, CUX, NAD BY/SU/DP, then per line that is not cancelled
LIN (buyer's item, IN), PIA (supplier's item, SA), IMD, QTY+21, DTM+2, PRI+AAA and an SCC with
QTY/DTM per schedule line, then UNS+S and CNT+2. Values are written as they are; the writer
releases service characters. The ORDRSP and DESADV maps read back what this writes (RFF+ON is our
BGM 1004, LIN 1082 the line number).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from gateway.canonical import models as canonical
from gateway.formats.edifact.writer import WSegment

DIRECTORIES = ("D96A", "D01B")


@dataclass(frozen=True, slots=True)
class OrderParty:
    """A party in a NAD: its id (assigned by buyer, 92, unless said) and name."""

    id: str
    name: str = ""
    agency: str = "92"


def _number(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _day(value: date) -> list[str]:
    return [value.strftime("%Y%m%d"), "102"]


def purchase_order_to_orders(
    po: canonical.PurchaseOrder, *, buyer: OrderParty, supplier: OrderParty
) -> tuple[WSegment, ...]:
    """The body of the ORDERS message (between UNH and UNT) for `po`."""
    out = [
        WSegment("BGM", ("220", po.po_number, "5" if po.revision else "9")),
        WSegment("DTM", (["137", *_day(po.order_date)],)),
    ]
    if po.revision:
        out.append(WSegment("RFF", (["PP", str(po.revision)],)))
    out.append(WSegment("CUX", (["2", po.currency, "9"],)))
    out.append(WSegment("NAD", ("BY", [buyer.id, "", buyer.agency], "", po.buyer_name or buyer.name)))
    out.append(WSegment("NAD", ("SU", [supplier.id, "", supplier.agency], "", supplier.name)))
    if po.ship_to or po.ship_to_name:
        out.append(
            WSegment(
                "NAD", ("DP", [po.ship_to or "", "", "92" if po.ship_to else ""], "", po.ship_to_name or "")
            )
        )
    lines = [line for line in po.lines if not line.cancelled]
    for line in lines:
        out.append(WSegment("LIN", (line.line_number, "", [line.buyer_item, "IN"])))
        if line.supplier_item:
            out.append(WSegment("PIA", ("1", [line.supplier_item, "SA"])))
        if line.description:
            out.append(WSegment("IMD", ("F", "", ["", "", "", line.description])))
        out.append(WSegment("QTY", (["21", _number(line.quantity), line.unit],)))
        if line.requested_date is not None:
            out.append(WSegment("DTM", (["2", *_day(line.requested_date)],)))
        if line.unit_price is not None:
            out.append(WSegment("PRI", (["AAA", _number(line.unit_price)],)))
        for split in line.schedule:
            out.append(WSegment("SCC", ("1",)))
            out.append(WSegment("QTY", (["21", _number(split.quantity), split.unit],)))
            if split.date is not None:
                qualifier = "2" if split.date_kind == "delivery" else "10"
                out.append(WSegment("DTM", ([qualifier, *_day(split.date)],)))
    out.append(WSegment("UNS", ("S",)))
    out.append(WSegment("CNT", (["2", str(len(lines))],)))
    return tuple(out)
