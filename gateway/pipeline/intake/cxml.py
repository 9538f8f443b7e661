"""cXML intake: one request per receipt, its envelope as the interchange, the request as the document.

The partner comes from the From (then Sender) credentials, or from the receipt when the channel
already verified it (POST /cxml checks the SharedSecret before it releases the receipt). The
interchange's control number is the payloadID: the same payloadID from the same partner within
`cxml.duplicate_window_days` is a duplicate and changes nothing. A ship notice portion without
items is expanded from the stored order (`complete_orders.py`). The synchronous cXML Response is
the channel's answer, so nothing is written to an outbox.
"""

from __future__ import annotations

from gateway.pipeline import tree_translate
from gateway.pipeline.intake import complete_orders
from gateway.pipeline.intake.run import IntakeRun

DEFAULT_WINDOW_DAYS = 90


def read(run: IntakeRun) -> None:
    """Read the receipt's cXML document (FormatError when it is not safe, well-formed cXML)."""
    receipt = run.receipt
    read = tree_translate.read_cxml(
        receipt.raw,
        content_sha256=receipt.content_sha256,
        maps=run.rt.maps,
        partners=run.rt.partners,
        partner_id=receipt.partner_id,
        file_name=receipt.file_name,
    )
    envelope, partner = read.envelope, read.partner
    window = (
        partner.cxml.duplicate_window_days if partner is not None and partner.cxml else DEFAULT_WINDOW_DAYS
    )
    ic = run.open_interchange(
        format="cxml",
        sender=read.sender[:64],
        receiver=(str(envelope.to[0]) if envelope.to else "")[:64],
        control_number=envelope.payload_id or f"sha256:{receipt.content_sha256[:32]}",
        partner=partner,
        partner_id=read.partner_id,
        is_test=envelope.is_test,
        prepared_at=envelope.timestamp,
        window_days=window,
    )
    run.document(ic, complete_orders.expand(run, ic, read.outcome))
    run.close_interchange(ic, ())
