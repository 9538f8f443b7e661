"""A FunctionalAck from an X12 997 (004010/005010): AK1 group, AK2..AK5 per set, AK9 summary.

AK3/AK4 errors are kept as readable strings ("AK3 PO1 at 7: 8", "AK4 2: 1 'ABC'", "AK5 5"), with
the X12 720/723/718 codes as sent. Status codes 715/717 map to AckStatus through the map's tables.
"""

from __future__ import annotations

from gateway.canonical import models as canonical
from gateway.mapping.engine import Record
from gateway.mapping.targets.common import Build

TABLES = {"group_status": frozenset(canonical.AckStatus), "set_status": frozenset(canonical.AckStatus)}
FIELDS = ("functional_id", "group_control_number", "status")


def build(b: Build) -> list[canonical.FunctionalAck]:
    root = b.root
    fid, gcn, status = root.text("functional_id"), root.text("group_control_number"), root.text("status")
    occurred_at = b.occurred_at(root)
    if fid is None or gcn is None or status is None or occurred_at is None:
        b.fail(None, "997 without AK1 group or AK9 status: no acknowledgment recorded")
        return []
    sets = []
    for s in root.children("set"):
        set_id, number = s.text("set_id"), s.text("control_number")
        if set_id is None or number is None:
            continue  # reported as missing
        sets.append(
            canonical.FunctionalAckSet(
                set_id=set_id,
                control_number=number,
                status=canonical.AckStatus(s.text("status") or status),
                errors=_errors(s),
            )
        )
    return [
        canonical.FunctionalAck(
            partner_id=b.ctx.partner_id,
            document_id=b.ctx.document_id,
            occurred_at=occurred_at,
            functional_id=fid,
            group_control_number=gcn,
            status=canonical.AckStatus(status),
            sets=tuple(sets),
            sets_included=root.integer("sets_included"),
            sets_received=root.integer("sets_received"),
            sets_accepted=root.integer("sets_accepted"),
        )
    ]


def _errors(s: Record) -> tuple[str, ...]:
    out = []
    for seg in s.children("segment_error"):
        out.append(
            f"AK3 {seg.text('tag') or '?'} at {seg.text('position') or '?'}: {seg.text('code') or '?'}"
        )
        for el in seg.children("element_error"):
            text = f"AK4 {el.text('position') or '?'}: {el.text('code') or '?'}"
            bad = el.text("bad_value")
            out.append(f"{text} {bad!r}" if bad else text)
    out += [f"AK5 {code}" for code in s.texts("codes")]
    return tuple(out)
