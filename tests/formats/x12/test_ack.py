"""997/999/TA1 acknowledgements folded from the reader's stream, and their rendering."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from gateway.formats.issues import Issue, IssueCode, Location, Severity
from gateway.formats.x12.ack import AckBuilder, AckKind, AckToSend, FunctionalAck, TA1Policy, render
from gateway.formats.x12.model import TransactionSet, WriterEnvelope
from gateway.formats.x12.reader import read
from gateway.formats.x12.writer import write_segment
from tests.formats.x12.text import group, interchange, isa, segments, set_855

AT = datetime(2024, 1, 16, 8, 0, tzinfo=UTC)


def build(
    text: str,
    *,
    functional: FunctionalAck = FunctionalAck.X997,
    ta1: TA1Policy = TA1Policy.ON_REQUEST,
    extra: dict[str, Sequence[Issue]] | None = None,
) -> list[AckToSend]:
    builder = AckBuilder(functional=functional, ta1=ta1)
    for item in read(text.encode(), file_name="in.edi"):
        more = (extra or {}).get(item.control_number, ()) if isinstance(item, TransactionSet) else ()
        builder.feed(item, more)
    return builder.result()


def body(ack: AckToSend) -> list[str]:
    return [write_segment(s, ack.interchange.delimiters).rstrip("~") for s in ack.segments]


def test_a_clean_group_gets_an_accepting_997() -> None:
    [ack] = build(interchange(group([set_855("0001"), set_855("0002")], control="77")))
    assert ack.kind is AckKind.FA997
    assert ack.status == "A"
    assert body(ack) == ["AK1*PR*77", "AK2*855*0001", "AK5*A", "AK2*855*0002", "AK5*A", "AK9*A*2*2*2"]


def test_a_set_with_a_wrong_segment_count_is_rejected_with_code_4() -> None:
    [ack] = build(interchange(group([set_855("0001", count=9), set_855("0002")])))
    assert body(ack)[1:3] == ["AK2*855*0001", "AK5*R*4"]
    assert body(ack)[-1] == "AK9*P*2*2*1"


def test_all_sets_rejected_rejects_the_group() -> None:
    [ack] = build(interchange(group([set_855("0001", se_control="9999")])))
    assert body(ack)[-2:] == ["AK5*R*3", "AK9*R*1*1*0"]


def test_group_errors_reject_the_group_with_their_codes() -> None:
    [ack] = build(interchange(group([set_855()], ge="GE*2*1")))
    assert body(ack)[-1] == "AK9*R*2*1*1*5"


def test_element_issues_from_maps_give_ak3_and_ak4_with_the_bad_data() -> None:
    issue = Issue(
        IssueCode.INVALID_DATE,
        Severity.ERROR,
        Location(transaction="0001", segment_position=2, segment_tag="BAK", element=4, component=None),
        "BAK04 is not a date",
        bad_value="20241340",
    )
    [ack] = build(interchange(group([set_855()])), extra={"0001": [issue]})
    assert body(ack) == [
        "AK1*PR*1",
        "AK2*855*0001",
        "AK3*BAK*2**8",
        "AK4*4**8*20241340",
        "AK5*R*5",
        "AK9*R*1*1*0",
    ]


def test_warnings_accept_with_errors_noted() -> None:
    issue = Issue(IssueCode.UNKNOWN_CODE, Severity.WARNING, Location(transaction="0001"), "unknown unit")
    [ack] = build(interchange(group([set_855()])), extra={"0001": [issue]})
    assert body(ack)[-2:] == ["AK5*E", "AK9*E*1*1*1"]


def test_5010_groups_carry_ak103_and_ak203() -> None:
    text = isa(version="00501", isa11="^") + segments(
        "GS*PR*A*B*20240115*1230*5*X*005010",
        "ST*855*0001*005010X999",
        "BAK*00*AC*PO1*20240110",
        "SE*3*0001",
        "GE*1*5",
        "IEA*1*000000001",
    )
    [ack] = build(text)
    assert body(ack)[:2] == ["AK1*PR*5*005010", "AK2*855*0001*005010X999"]


def test_999_uses_ik3_ik4_and_ik5() -> None:
    issue = Issue(
        IssueCode.MANDATORY_ELEMENT_MISSING,
        Severity.ERROR,
        Location(segment_position=3, segment_tag="PO1", element=2, component=1),
        "PO102 missing",
    )
    [ack] = build(interchange(group([set_855()])), functional=FunctionalAck.X999, extra={"0001": [issue]})
    assert ack.kind is AckKind.FA999
    assert body(ack)[2:5] == ["IK3*PO1*3**8", "IK4*2>1**1", "IK5*R*5"]


def test_functional_acknowledgements_are_never_acknowledged() -> None:
    fa = interchange(group([["ST*997*0001", "AK1*PR*1", "AK9*A*1*1*1", "SE*4*0001"]], gs01="FA"))
    assert build(fa) == []


def test_no_functional_ack_when_the_partner_wants_none() -> None:
    assert build(interchange(group([set_855()])), functional=FunctionalAck.NONE) == []


def test_ta1_is_sent_when_isa14_asks_for_it() -> None:
    acks = build(interchange(group([set_855()]), ack="1"))
    [ta1] = [a for a in acks if a.kind is AckKind.TA1]
    assert body(ta1) == ["TA1*000000001*240115*1230*A*000"]


def test_ta1_is_sent_on_a_broken_envelope_with_its_note_code() -> None:
    acks = build(interchange(group([set_855()]), iea="IEA*1*000000002"))
    [ta1] = [a for a in acks if a.kind is AckKind.TA1]
    assert body(ta1) == ["TA1*000000001*240115*1230*R*001"]


def test_ta1_policy_never_and_always() -> None:
    broken = interchange(group([set_855()]), iea="IEA*1*000000002")
    assert [a.kind for a in build(broken, ta1=TA1Policy.NEVER)] == [AckKind.FA997]
    assert [a.kind for a in build(interchange(group([set_855()])), ta1=TA1Policy.ALWAYS)] == [
        AckKind.FA997,
        AckKind.TA1,
    ]


def test_render_writes_one_interchange_that_reads_back_clean() -> None:
    issue = Issue(
        IssueCode.INVALID_CHARACTER,
        Severity.ERROR,
        Location(segment_position=2, segment_tag="BAK", element=3),
        "bad",
        bad_value="A*B~C",
    )
    acks = build(
        interchange(group([set_855("0001"), set_855("0002")]), ack="1"),
        extra={"0001": [issue]},
    )
    env = WriterEnvelope(
        sender_qualifier="ZZ", sender_id="RECEIVER", receiver_qualifier="ZZ", receiver_id="SENDER"
    )
    text = render(acks, env, interchange_control=5, group_control=12, prepared_at=AT, line_break="\n")
    lines = text.splitlines()
    assert lines[1] == "TA1*000000001*240115*1230*A*000~"
    assert lines[2].startswith("GS*FA*RECEIVER*SENDER*20240116*0800*12*X*004010")
    assert "AK4*3**6*ABC~" in lines
    assert lines[-1] == "IEA*1*000000005~"
    found = list(read(text.encode()))
    assert [s.set_id for s in found if isinstance(s, TransactionSet)] == ["997"]
    assert all(not getattr(i, "issues", ()) for i in found)
