"""X12 intake: interchange by interchange, set by set, then the 997/999/TA1 for what was read.

The partner is identified per interchange from ISA05/ISA06 (and GS02 when several partners share an
ISA id), or forced by the receipt. Duplicates are the same partner and ISA13 within the partner's
`x12.duplicate_window_days`; a duplicate is acknowledged again but changes nothing.
"""

from __future__ import annotations

import io

from gateway.formats.x12 import ack as x12_ack
from gateway.formats.x12 import model as x12
from gateway.partners.model import FunctionalAckKind
from gateway.pipeline import translate
from gateway.pipeline.intake.run import IntakeRun, OpenInterchange
from gateway.pipeline.outbound import deliver_x12, x12_envelope

DEFAULT_WINDOW_DAYS = 90


def read(run: IntakeRun) -> None:
    """Read every interchange of the receipt (FormatError when the bytes cannot be framed as X12)."""
    receipt = run.receipt
    items = translate.translate_x12(
        io.BytesIO(receipt.raw),
        content_sha256=receipt.content_sha256,
        maps=run.rt.maps,
        partners=run.rt.partners,
        partner_id=receipt.partner_id,
        file_name=receipt.file_name,
    )
    header: x12.InterchangeHeader | None = None
    ic: OpenInterchange | None = None
    acks: x12_ack.AckBuilder | None = None
    for item in items:
        if isinstance(item, x12.InterchangeOpened):
            header, ic, acks = item.header, None, None
            continue
        if ic is None and header is not None:
            group = item.header if isinstance(item, x12.GroupOpened) else None
            ic, acks = _open(run, header, group)
        assert ic is not None
        assert acks is not None
        if isinstance(item, translate.SetOutcome):
            acks.feed(item.ts, item.map_issues)
            run.document(ic, item.outcome())
            continue
        acks.feed(item)
        if isinstance(item, x12.InterchangeClosed):
            run.close_interchange(ic, item.issues)
            _acknowledge(run, ic, acks)


def _open(
    run: IntakeRun, header: x12.InterchangeHeader, group: x12.GroupHeader | None
) -> tuple[OpenInterchange, x12_ack.AckBuilder]:
    partner, partner_id = translate.partner_for(header, group, run.rt.partners, run.receipt.partner_id)
    functional, ta1 = x12_ack.FunctionalAck.X997, x12_ack.TA1Policy.ON_REQUEST
    window = DEFAULT_WINDOW_DAYS
    if partner is not None and partner.x12 is not None:
        functional = x12_ack.FunctionalAck(str(partner.x12.functional_ack))
        ta1 = x12_ack.TA1Policy(str(partner.x12.ta1))
        window = partner.x12.duplicate_window_days
    ic = run.open_interchange(
        format="x12",
        sender=f"{header.sender_qualifier}:{header.sender_id}",
        receiver=f"{header.receiver_qualifier}:{header.receiver_id}",
        control_number=header.control_number,
        partner=partner,
        partner_id=partner_id,
        is_test=header.is_test,
        prepared_at=header.prepared_at(),
        window_days=window,
    )
    return ic, x12_ack.AckBuilder(functional=functional, ta1=ta1)


def _acknowledge(run: IntakeRun, ic: OpenInterchange, builder: x12_ack.AckBuilder) -> None:
    """Write the 997/999 and TA1 the partner's settings ask for to its outbox."""
    partner = ic.partner
    acks = builder.result()
    if not acks or partner is None or partner.x12 is None:
        return
    if partner.x12.functional_ack is FunctionalAckKind.NONE:
        acks = [a for a in acks if a.kind is x12_ack.AckKind.TA1]
        if not acks:
            return
    envelope = x12_envelope(run.rt, partner, ack_requested=False)
    message = deliver_x12(
        run.session,
        run.rt,
        partner,
        kind="+".join(sorted({str(a.kind) for a in acks})),
        now=run.now,
        render=lambda isa, gs: x12_ack.render(
            acks,
            envelope,
            interchange_control=isa,
            group_control=gs,
            prepared_at=run.now,
            line_break="\n",
        ),
        group=any(a.kind is not x12_ack.AckKind.TA1 for a in acks),
    )
    run.acknowledged(message)
