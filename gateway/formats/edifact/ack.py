"""CONTRL (syntax and service report message, ISO 9735-5 / UNSM CONTRL) for an inbound interchange.

`ContrlBuilder` is fed the items of one interchange as the reader yields them (with the map's issues
of each message) and gives the body of the CONTRL that answers it, or None when none is due:

- UNB 0031 = 1 asks for a CONTRL: UCI with action 7 (acknowledged; the messages acknowledged unless
  a UCM rejects them) or 4 (the interchange and everything in it rejected), then one UCM per message
  with 7 or 4, and under a rejected message a UCS per segment in error (position counted with UNH as
  1) with a UCD per element in error (element and component positions).
- UNB 0031 = 2 asks for a technical acknowledgement: UCI alone, action 8 (interchange received) or 4.
- Without 0031, nothing (the partner's `contrl: always` forces the functional report).

Issue codes become 0085 syntax error codes through `issues.EDIFACT_CODES`. The UCI names the
interchange it answers by its UNB 0020 and its sender and recipient as they were written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from gateway.formats.edifact import model as edifact
from gateway.formats.edifact.writer import MessageToWrite, WSegment
from gateway.formats.issues import EDIFACT_CODES, Issue, Level, Severity


class Action(StrEnum):
    """0083 action codes (current directory values)."""

    REJECTED = "4"  # this level and all lower levels rejected
    ACKNOWLEDGED = "7"  # this level acknowledged, lower levels unless explicitly rejected
    RECEIVED = "8"  # interchange received (technical acknowledgement)


class Policy(StrEnum):
    ON_REQUEST = "on_request"  # as UNB 0031 asks
    ALWAYS = "always"  # a functional CONTRL for every interchange
    NEVER = "never"


@dataclass(slots=True)
class _Message:
    """What a UCM needs of a message (not its segments: an interchange may hold very many)."""

    reference: str
    id: edifact.MessageId
    issues: list[Issue] = field(default_factory=list)  # its errors


def _errors(issues: list[Issue]) -> list[Issue]:
    return [i for i in issues if i.severity is Severity.ERROR]


def _code(issue: Issue) -> str:
    return EDIFACT_CODES.get(issue.code, "18")  # 18: unspecified error


class ContrlBuilder:
    """Collects one interchange's messages and issues; `contrl()` gives the CONTRL to send back."""

    def __init__(self, policy: Policy = Policy.ON_REQUEST) -> None:
        self.policy = policy
        self._messages: list[_Message] = []
        self._closed: edifact.InterchangeClosed | None = None
        self._group_issues: list[Issue] = []

    def feed(self, item: edifact.EdifactItem, map_issues: tuple[Issue, ...] = ()) -> None:
        if isinstance(item, edifact.Message):
            errors = _errors([*item.issues, *map_issues])
            self._messages.append(_Message(item.reference, item.id, errors))
        elif isinstance(item, edifact.GroupClosed):
            self._group_issues += item.issues
        elif isinstance(item, edifact.InterchangeClosed):
            self._closed = item

    @property
    def functional(self) -> bool:
        closed = self._closed
        if closed is None or self.policy is Policy.NEVER:
            return False
        return self.policy is Policy.ALWAYS or closed.header.ack_request == "1"

    @property
    def due(self) -> bool:
        closed = self._closed
        return closed is not None and (
            self.functional or (self.policy is Policy.ON_REQUEST and closed.header.ack_request == "2")
        )

    @property
    def rejected(self) -> bool:
        """The interchange as a whole is rejected (an envelope error at interchange or group level)."""
        closed = self._closed
        issues = [*(closed.issues if closed else ()), *self._group_issues]
        return bool(_errors(issues))

    def contrl(self, reference: str) -> MessageToWrite | None:
        """The CONTRL message (UNH 0062 `reference`), or None when none is due."""
        closed = self._closed
        if closed is None or not self.due:
            return None
        h = closed.header
        envelope_errors = _errors([*closed.issues, *self._group_issues])
        action = (
            Action.REJECTED
            if envelope_errors
            else Action.ACKNOWLEDGED
            if self.functional
            else Action.RECEIVED
        )
        uci: list[str | list[str]] = [
            h.control_reference,
            [h.sender_id, h.sender_qualifier],
            [h.recipient_id, h.recipient_qualifier],
            str(action),
        ]
        if envelope_errors:
            first = envelope_errors[0]
            where = first.location
            uci += [_code(first), where.segment_tag or "", [str(where.element)] if where.element else ""]
        body = [WSegment("UCI", tuple(uci))]
        if self.functional:
            for m in self._messages:
                body += _ucm(m, rejected=bool(envelope_errors))
        syntax4 = h.syntax_version == "4"
        return MessageToWrite(
            reference=reference,
            type="CONTRL",
            version="4" if syntax4 else "2",
            release="1" if syntax4 else "2",
            agency="UN",
            body=tuple(body),
        )


def _ucm(m: _Message, *, rejected: bool) -> list[WSegment]:
    errors = m.issues
    s009 = [m.id.type, m.id.version, m.id.release, m.id.agency, m.id.association]
    action = Action.REJECTED if errors or rejected else Action.ACKNOWLEDGED
    message_level = [i for i in errors if i.level in (Level.TRANSACTION, Level.INTERCHANGE, Level.GROUP)]
    ucm: list[str | list[str]] = [m.reference, s009, str(action)]
    if message_level:
        first = message_level[0]
        ucm += [_code(first), first.location.segment_tag or ""]
    out = [WSegment("UCM", tuple(ucm))]
    by_segment: dict[int, list[Issue]] = {}
    for issue in errors:
        if issue.level in (Level.SEGMENT, Level.ELEMENT, Level.BUSINESS) and issue.location.segment_position:
            by_segment.setdefault(issue.location.segment_position, []).append(issue)
    for position in sorted(by_segment):
        found = by_segment[position]
        segment_level = next((i for i in found if i.location.element is None), None)
        ucs: list[str | list[str]] = [str(position)]
        if segment_level is not None:
            ucs.append(_code(segment_level))
        out.append(WSegment("UCS", tuple(ucs)))
        for issue in found:
            where = issue.location
            if where.element is None:
                continue
            place = [str(where.element)] + ([str(where.component)] if where.component else [])
            out.append(WSegment("UCD", (_code(issue), place)))
    return out
