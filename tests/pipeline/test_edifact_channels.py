"""EDIFACT over the channels that carry raw EDI, on SQLite and PostgreSQL: a file dropped in the
partner's inbox is read and its CONTRL lands in the outbox; the HTTP upload (`POST /v1/edi` calls
`supplier.upload_edi`) answers with the CONTRL where X12 gets its 997; an unreadable EDIFACT file
fails with a located reason and its bytes kept."""

from __future__ import annotations

import os
import time

from gateway.channels import filedrop as channel
from gateway.formats.edifact import model as edifact
from gateway.formats.edifact import reader
from gateway.pipeline import filedrop, supplier
from gateway.pipeline.runtime import Runtime
from gateway.store import repositories as repo
from gateway.store.session import session_scope
from tests.pipeline.support import SAMPLES, import_orders

PARTNER = "rheinwerk-bearings"
ORDRSP = (SAMPLES / "edifact" / PARTNER / "ORDRSP_RW0000102.edi").read_bytes()


def contrl_refs(text: str) -> tuple[str, str]:
    (message,) = [i for i in reader.read(text.encode("latin-1")) if isinstance(i, edifact.Message)]
    uci = next(s for s in message.segments if s.tag == "UCI")
    return uci.get(1), uci.get(4)


def test_a_dropped_edifact_file_is_archived_and_its_contrl_written_to_the_outbox(runtime: Runtime) -> None:
    import_orders(runtime, send=True)
    box = channel.mailbox_for(runtime.settings.data_dir, f"filedrop/{PARTNER}").ensure()
    path = box.inbox / "ORDRSP_RW0000102.edi"
    path.write_bytes(ORDRSP)
    then = time.time() - 60
    os.utime(path, (then, then))

    report = filedrop.sweep(runtime, partner_id=PARTNER)

    assert [p.outcome for p in report.pickups] == ["archived"]
    written = sorted(box.outbox.glob("CONTRL_*.edi"))
    assert len(written) == 1
    assert contrl_refs(written[0].read_bytes().decode("latin-1")) == ("RW0000102", "7")


def test_the_http_upload_answers_with_the_contrl(runtime: Runtime) -> None:
    import_orders(runtime, send=True)
    with session_scope(runtime.sessionmaker) as session:
        report = supplier.upload_edi(session, runtime, partner_id=PARTNER, raw=ORDRSP, file_name="r.edi")
        assert report.status == "processed"
        assert [(d.doc_type, d.status) for d in report.documents] == [("ORDRSP", "correlated")]
        (ack_id,) = report.acks
        message = repo.OutboundMessageRepository(session).get(ack_id)
        assert message is not None
        assert message.kind == "CONTRL"
        assert contrl_refs(message.content) == ("RW0000102", "7")


def test_a_broken_envelope_is_answered_with_a_rejecting_contrl(runtime: Runtime) -> None:
    import_orders(runtime, send=True)
    broken = ORDRSP.replace(b"UNZ+1+RW0000102", b"UNZ+1+RW0000999")
    with session_scope(runtime.sessionmaker) as session:
        report = supplier.upload_edi(session, runtime, partner_id=PARTNER, raw=broken, file_name="r.edi")
        (ack_id,) = report.acks
        message = repo.OutboundMessageRepository(session).get(ack_id)
        assert message is not None
        assert "UCI+RW0000102+4012345000016:14+GATEWAYBUYER:ZZZ+4+28+UNZ+2'" in message.content
        assert "UCM+1+ORDRSP:D:96A:UN:EAN005+4'" in message.content


def test_an_unreadable_edifact_upload_fails_with_its_position(runtime: Runtime) -> None:
    with session_scope(runtime.sessionmaker) as session:
        report = supplier.upload_edi(
            session, runtime, partner_id=PARTNER, raw=b"UNA:+.? 'BGM+231+X'", file_name="bad.edi"
        )
    assert report.status == "failed"
    assert report.detail is not None
    assert "bad.edi segment 1 (BGM)" in report.detail
