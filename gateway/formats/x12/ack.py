"""Functional (997, 999) and interchange (TA1) acknowledgements built from the reader's stream.

Follows X12 997 Functional Acknowledgment (AK1, AK2, AK3, AK4, AK5, AK9; 005010 adds AK103 = GS08 and
AK203 = ST03), 999 Implementation Acknowledgment (IK3, IK4, IK5 in place of AK3, AK4, AK5; CTX is not
written, it is optional) and the TA1 Interchange Acknowledgment (TA101 = ISA13, TA102/TA103 = ISA09/ISA10
of the interchange acknowledged, TA104 = I17 A/E/R, TA105 = I18 note code).

Status rules: an issue with `Severity.ERROR` rejects its unit ("R"); warnings only give "accepted with
errors noted" ("E"). AK9/IK9 says "P" when some sets of a group were rejected and some accepted.
Issue codes become X12 codes through `issues.X12_CODES` by level: transaction issues feed AK502-AK506,
segment issues AK304, element issues AK403 (under an AK3 for their segment, AK304 "8" when the segment
has only element errors), group issues AK905-AK909, interchange issues TA105. Business issues (from maps)
have no X12 code: they only set the status. Functional acknowledgement groups (GS01 "FA") are never
acknowledged with a 997/999 ("these acknowledgments shall not be acknowledged").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from gateway.formats.issues import X12_CODES, Issue, Level, Severity
from gateway.formats.x12.model import (
    GroupClosed,
    GroupHeader,
    InterchangeClosed,
    InterchangeHeader,
    TransactionSet,
    WriterEnvelope,
    X12Item,
)
from gateway.formats.x12.writer import ElementValue, GroupToWrite, OutSegment, SetToWrite, write_interchange


class AckKind(StrEnum):
    FA997 = "997"
    FA999 = "999"
    TA1 = "TA1"


class FunctionalAck(StrEnum):
    """Which functional acknowledgement a partner gets."""

    X997 = "997"
    X999 = "999"
    NONE = "none"


class TA1Policy(StrEnum):
    ON_REQUEST = "on_request"  # when ISA14 = 1, or when the envelope is broken (an interchange error)
    ALWAYS = "always"
    NEVER = "never"


@dataclass(frozen=True, slots=True)
class AckToSend:
    """One acknowledgement: what it answers, its kind, its status and its body segments.

    For 997/999 the body is AK1..AK9 (no ST/SE); for TA1 it is the TA1 segment alone.
    """

    kind: AckKind
    interchange: InterchangeHeader
    group: GroupHeader | None
    status: str  # AK901 / TA104
    segments: tuple[OutSegment, ...]


@dataclass(slots=True)
class _SetAck:
    segments: list[OutSegment]
    status: str  # A, E or R


def _status(issues: Sequence[Issue]) -> str:
    if any(i.severity is Severity.ERROR for i in issues):
        return "R"
    return "E" if issues else "A"


def _codes(issues: Sequence[Issue], level: Level, limit: int = 5) -> list[str]:
    out: list[str] = []
    for issue in issues:
        code = X12_CODES.get(issue.code)
        if issue.level is level and code is not None and code not in out:
            out.append(code)
    return out[:limit]


def _is_5010(version: str) -> bool:
    return version[:6] >= "005010"


def set_ack(ts: TransactionSet, extra: Sequence[Issue], kind: AckKind) -> _SetAck:
    """AK2 (or AK2 for 999), the AK3/AK4 (IK3/IK4) per segment in error, and AK5 (IK5)."""
    issues = [*ts.issues, *extra]
    status = _status(issues)
    ak2: tuple[str, ...] = (ts.set_id, ts.control_number)
    if _is_5010(ts.version) and ts.implementation_reference:
        ak2 = (*ak2, ts.implementation_reference)
    segments = [OutSegment("AK2", ak2)]
    seg_tag, el_tag, end_tag = ("IK3", "IK4", "IK5") if kind is AckKind.FA999 else ("AK3", "AK4", "AK5")
    by_segment: dict[tuple[int, str], list[Issue]] = {}
    for issue in issues:
        loc = issue.location
        if issue.level in (Level.SEGMENT, Level.ELEMENT) and loc.segment_position is not None:
            by_segment.setdefault((loc.segment_position, loc.segment_tag or ""), []).append(issue)
    for (position, tag), found in sorted(by_segment.items()):
        seg_codes = _codes(found, Level.SEGMENT, 1)
        segments.append(OutSegment(seg_tag, (tag, str(position), "", seg_codes[0] if seg_codes else "8")))
        for issue in found:
            code = X12_CODES.get(issue.code)
            if issue.level is not Level.ELEMENT or code is None:
                continue
            loc = issue.location
            where: str | tuple[str, ...] = str(loc.element or "")
            if loc.component is not None:
                where = (str(loc.element or ""), str(loc.component))
            bad = (issue.bad_value or "")[:99]
            segments.append(OutSegment(el_tag, (where, "", code, bad)))
    codes = _codes(issues, Level.TRANSACTION)
    if status == "R" and len(segments) > 1 and "5" not in codes:
        codes = [*codes, "5"][:5]  # 718 code 5: one or more segments in error
    segments.append(OutSegment(end_tag, (status, *codes)))
    return _SetAck(segments, status)


def group_status(set_statuses: Sequence[str], group_issues: Sequence[Issue]) -> str:
    """AK901: R on a group error or when every set was rejected, P when some were, else E or A."""
    if any(i.severity is Severity.ERROR for i in group_issues):
        return "R"
    rejected = set_statuses.count("R")
    if set_statuses and rejected == len(set_statuses):
        return "R"
    if rejected:
        return "P"
    return "E" if group_issues or "E" in set_statuses else "A"


@dataclass(slots=True)
class _OpenGroup:
    sets: list[_SetAck] = field(default_factory=list)


class AckBuilder:
    """A fold over the reader's items that collects the acknowledgements to send.

    `feed` every item in order (extra issues, e.g. from maps, go with their `TransactionSet`), then
    `result()` gives the 997/999 per functional group and the TA1 per interchange, as the options ask.
    """

    def __init__(
        self, *, functional: FunctionalAck = FunctionalAck.X997, ta1: TA1Policy = TA1Policy.ON_REQUEST
    ) -> None:
        self.functional = functional
        self.ta1 = ta1
        self._kind = AckKind.FA999 if functional is FunctionalAck.X999 else AckKind.FA997
        self._group = _OpenGroup()
        self._acks: list[AckToSend] = []

    def feed(self, item: X12Item, extra_issues: Sequence[Issue] = ()) -> None:
        if isinstance(item, TransactionSet):
            if item.group is not None:
                self._group.sets.append(set_ack(item, extra_issues, self._kind))
        elif isinstance(item, GroupClosed):
            self._close_group(item)
        elif isinstance(item, InterchangeClosed):
            self._close_interchange(item)

    def _close_group(self, item: GroupClosed) -> None:
        group, self._group = self._group, _OpenGroup()
        header = item.header
        if self.functional is FunctionalAck.NONE or header.functional_id == "FA":
            return
        ak1: tuple[str, ...] = (header.functional_id, header.control_number)
        if _is_5010(header.version):
            ak1 = (*ak1, header.version)
        body = [OutSegment("AK1", ak1)]
        for s in group.sets:
            body.extend(s.segments)
        statuses = [s.status for s in group.sets]
        status = group_status(statuses, item.issues)
        included = item.declared_set_count if item.declared_set_count is not None else item.set_count
        accepted = sum(1 for s in statuses if s != "R")
        codes = _codes(item.issues, Level.GROUP)
        body.append(OutSegment("AK9", (status, str(included), str(item.set_count), str(accepted), *codes)))
        self._acks.append(AckToSend(self._kind, item.interchange, header, status, tuple(body)))

    def _close_interchange(self, item: InterchangeClosed) -> None:
        issues = item.issues
        broken = any(i.severity is Severity.ERROR for i in issues)
        wanted = self.ta1 is TA1Policy.ALWAYS or (
            self.ta1 is TA1Policy.ON_REQUEST and (item.header.ack_requested == "1" or broken)
        )
        if not wanted:
            return
        status = _status(issues)
        ordered = sorted(issues, key=lambda i: i.severity is not Severity.ERROR)
        note = next(
            (c for i in ordered if (c := X12_CODES.get(i.code)) and i.level is Level.INTERCHANGE), "000"
        )
        h = item.header
        ta1 = OutSegment("TA1", (h.control_number, h.date, h.time, status, note))
        self._acks.append(AckToSend(AckKind.TA1, h, None, status, (ta1,)))

    def result(self) -> list[AckToSend]:
        return list(self._acks)


def _strip(value: str, chars: str) -> str:
    return "".join(c for c in value if c not in chars) if any(c in value for c in chars) else value


def _clean(segment: OutSegment, chars: str) -> OutSegment:
    """Drop delimiter characters from copied bad data (AK404/IK404), which X12 cannot escape."""
    values: list[ElementValue] = []
    for value in segment.elements:
        if isinstance(value, str):
            values.append(_strip(value, chars))
        elif isinstance(value, tuple):
            values.append(tuple(_strip(part, chars) for part in value))
        else:
            values.append(value)
    return OutSegment(segment.tag, tuple(values))


def render(
    acks: Sequence[AckToSend],
    envelope: WriterEnvelope,
    *,
    interchange_control: int,
    group_control: int,
    prepared_at: datetime,
    line_break: str = "",
) -> str:
    """One outbound interchange carrying `acks`: TA1s right after the ISA, 997/999s in one FA group.

    Set control numbers are 0001, 0002, ... in order; counts come from the writer.
    """
    d = envelope.delimiters
    chars = d.element + d.segment + d.component + (d.repetition or "")
    leading = [_clean(s, chars) for a in acks if a.kind is AckKind.TA1 for s in a.segments]
    sets = [
        SetToWrite(str(a.kind), f"{n:04d}", [_clean(s, chars) for s in a.segments])
        for n, a in enumerate((a for a in acks if a.kind is not AckKind.TA1), start=1)
    ]
    groups = [GroupToWrite("FA", group_control, sets)] if sets else []
    return write_interchange(
        envelope,
        interchange_control=interchange_control,
        groups=groups,
        prepared_at=prepared_at,
        leading=leading,
        line_break=line_break,
    )
