"""CONTRL for inbound interchanges: when one is due, and the UCI/UCM/UCS/UCD it carries."""

from __future__ import annotations

from datetime import UTC, datetime

from gateway.formats.edifact import ack, reader, writer
from gateway.formats.issues import Issue, IssueCode, Location, Severity

AT = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
TEXT = (
    "UNB+UNOC:3+SUPPLIER:14+BUYER:ZZ+260310:0915+IC42++++{ack}'"
    "UNH+1+ORDRSP:D:96A:UN'BGM+231+R1+29'DTM+137:20260310:102'UNT+4+1'"
    "UNH+2+DESADV:D:96A:UN'BGM+351+D1+9'UNT+3+2'"
    "UNZ+2+IC42'"
)


def contrl(
    text: str, policy: ack.Policy = ack.Policy.ON_REQUEST, map_issues: dict[str, Issue] | None = None
) -> str | None:
    builder = ack.ContrlBuilder(policy)
    for item in reader.read(text.encode()):
        extra = (map_issues or {}).get(getattr(item, "reference", ""))
        builder.feed(item, (extra,) if extra else ())
    message = builder.contrl("C1")
    if message is None:
        return None
    env = writer.WriterEnvelope(sender_id="BUYER", recipient_id="SUPPLIER", write_una=False)
    out = writer.write_interchange(env, control_reference="9", messages=[message], prepared_at=AT)
    return "'".join(s for s in out.split("'") if s[:3] in ("UCI", "UCM", "UCS", "UCD"))


def test_an_acknowledgement_request_gets_uci_7_and_a_ucm_7_per_message() -> None:
    assert contrl(TEXT.format(ack="1")) == (
        "UCI+IC42+SUPPLIER:14+BUYER:ZZ+7'UCM+1+ORDRSP:D:96A:UN+7'UCM+2+DESADV:D:96A:UN+7"
    )


def test_a_technical_request_gets_the_uci_alone_with_8() -> None:
    assert contrl(TEXT.format(ack="2")) == "UCI+IC42+SUPPLIER:14+BUYER:ZZ+8"


def test_no_request_gets_no_contrl_unless_the_partner_always_wants_one() -> None:
    assert contrl(TEXT.format(ack="")) is None
    assert contrl(TEXT.format(ack=""), ack.Policy.NEVER) is None
    assert contrl(TEXT.format(ack=""), ack.Policy.ALWAYS) is not None
    assert contrl(TEXT.format(ack="1"), ack.Policy.NEVER) is None


def test_a_message_with_a_wrong_unt_count_is_rejected_with_code_29() -> None:
    out = contrl(TEXT.format(ack="1").replace("UNT+3+2", "UNT+8+2"))
    assert out is not None
    assert "UCI+IC42+SUPPLIER:14+BUYER:ZZ+7'" in out
    assert "UCM+2+DESADV:D:96A:UN+4+29+UNT" in out
    assert "UCM+1+ORDRSP:D:96A:UN+7" in out


def test_an_interchange_reference_mismatch_rejects_everything() -> None:
    out = contrl(TEXT.format(ack="1").replace("UNZ+2+IC42", "UNZ+2+IC41"))
    assert out is not None
    assert out.startswith("UCI+IC42+SUPPLIER:14+BUYER:ZZ+4+28+UNZ+2'")
    assert "UCM+1+ORDRSP:D:96A:UN+4'" in out
    assert out.endswith("UCM+2+DESADV:D:96A:UN+4")


def test_segment_and_element_errors_give_ucs_and_ucd_with_their_positions() -> None:
    bad_qty = Issue(
        IssueCode.INVALID_NUMBER,
        Severity.ERROR,
        Location(transaction="1", segment_position=3, segment_tag="DTM", element=1, component=2),
        "not a date",
    )
    missing = Issue(
        IssueCode.MANDATORY_SEGMENT_MISSING,
        Severity.ERROR,
        Location(segment_position=4, segment_tag="UNT"),
        "RFF",
    )
    out = contrl(TEXT.format(ack="1"), map_issues={"1": bad_qty, "2": missing})
    assert out is not None
    assert "UCM+1+ORDRSP:D:96A:UN+4'UCS+3'UCD+19+1:2'" in out
    assert "UCM+2+DESADV:D:96A:UN+4'UCS+4+13" in out
