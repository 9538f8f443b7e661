"""UN/EDIFACT intake: interchange by interchange, message by message, then the CONTRL it asks for.

The partner is identified per interchange from UNB S002 (or forced by the receipt). Duplicates are
the same partner and UNB 0020 within the partner's `edifact.duplicate_window_days`; a duplicate is
acknowledged again but changes nothing. A test interchange (UNB 0035 = 1) is stored and
acknowledged but changes no production state (`IntakeRun.document`). A file of bare messages (no
UNB) is one interchange named by its first message's reference; it asks for no CONTRL.
"""

from __future__ import annotations

import io

from gateway.formats.edifact import ack as contrl
from gateway.formats.edifact import model as edifact
from gateway.formats.edifact import writer
from gateway.partners.model import PartnerConfig
from gateway.pipeline.edifact_translate import MessageOutcome, partner_for, translate_edifact
from gateway.pipeline.intake.run import IntakeRun, OpenInterchange
from gateway.pipeline.outbound import deliver_edifact, edifact_envelope
from gateway.store import models as db
from gateway.store.repositories.messaging import ControlNumberRepository

DEFAULT_WINDOW_DAYS = 90


def read(run: IntakeRun) -> None:
    """Read every interchange of the receipt (FormatError when the bytes cannot be framed as EDIFACT)."""
    receipt = run.receipt
    items = translate_edifact(
        io.BytesIO(receipt.raw),
        content_sha256=receipt.content_sha256,
        maps=run.rt.maps,
        partners=run.rt.partners,
        partner_id=receipt.partner_id,
        file_name=receipt.file_name,
    )
    ic: OpenInterchange | None = None
    builder: contrl.ContrlBuilder | None = None
    for item in items:
        if isinstance(item, edifact.InterchangeOpened):
            ic, builder = _open(run, item.header, None)
            continue
        if isinstance(item, MessageOutcome):
            if ic is None:  # a bare message: no UNB to name the interchange
                ic, builder = _open(run, None, item.message.reference)
            assert builder is not None
            builder.feed(item.message, item.map_issues)
            run.document(ic, item.outcome())
            continue
        if ic is None or builder is None:
            continue
        builder.feed(item)
        if isinstance(item, edifact.InterchangeClosed):
            run.close_interchange(ic, item.issues)
            _acknowledge(run, ic, builder)
            ic, builder = None, None


def _open(
    run: IntakeRun, header: edifact.InterchangeHeader | None, bare_reference: str | None
) -> tuple[OpenInterchange, contrl.ContrlBuilder]:
    partner, partner_id = partner_for(header, run.rt.partners, run.receipt.partner_id)
    policy, window = contrl.Policy.ON_REQUEST, DEFAULT_WINDOW_DAYS
    if partner is not None and partner.edifact is not None:
        policy = contrl.Policy(str(partner.edifact.contrl))
        window = partner.edifact.duplicate_window_days
    ic = run.open_interchange(
        format="edifact",
        sender=_party(header.sender_qualifier, header.sender_id) if header else partner_id,
        receiver=_party(header.recipient_qualifier, header.recipient_id) if header else "",
        control_number=header.control_reference if header else f"UNH:{bare_reference}",
        partner=partner,
        partner_id=partner_id,
        is_test=header.is_test if header else False,
        prepared_at=header.prepared_at() if header else None,
        window_days=window,
    )
    return ic, contrl.ContrlBuilder(policy)


def _party(qualifier: str, identification: str) -> str:
    return f"{qualifier}:{identification}" if qualifier else identification


def _acknowledge(run: IntakeRun, ic: OpenInterchange, builder: contrl.ContrlBuilder) -> None:
    """Write the CONTRL the interchange asks for (or the partner's settings want) to its outbox."""
    partner: PartnerConfig | None = ic.partner
    if partner is None or partner.edifact is None or not builder.due:
        return
    reference = str(ControlNumberRepository(run.session).allocate(partner.id, db.ControlKind.UNH)[0])
    message = builder.contrl(reference)
    if message is None:
        return
    envelope = edifact_envelope(run.rt, partner, ack_request=False)

    def render(unb: str) -> str:
        return writer.write_interchange(
            envelope, control_reference=unb, messages=[message], prepared_at=run.now, line_break="\n"
        )

    run.acknowledged(deliver_edifact(run.session, run.rt, partner, kind="CONTRL", now=run.now, render=render))
