"""JSON intake: a portal webhook or a partner API page per receipt, read with the partner's map.

The channel that stored the receipt names the partner (a verified webhook's account, the polled
partner) and says in `receipt.transport` how it came: `channel` (portal or rest_poll), the
portal's `webhook_id`, or the polled `resource`, which names the map's kind. A JSON file ingested
by hand needs `--partner`; its kind is chosen by the map's `when`. The interchange's control number
is the webhook id (a repeat within the window is a duplicate), or for a page the resource and the
page's content hash (the same page again is a duplicate; a changed page is read).
"""

from __future__ import annotations

from gateway.pipeline import tree_translate
from gateway.pipeline.intake import complete_orders
from gateway.pipeline.intake.run import IntakeRun

DEFAULT_WINDOW_DAYS = 90


def read(run: IntakeRun) -> None:
    receipt = run.receipt
    transport = receipt.transport or {}
    channel = transport.get("channel")
    partners = run.rt.partners
    partner = (
        partners.get(receipt.partner_id) if receipt.partner_id and receipt.partner_id in partners else None
    )
    resource = transport.get("resource")
    control = transport.get("webhook_id") or f"{resource or 'json'}:{receipt.content_sha256[:32]}"
    sender = f"{channel or 'json'}:{transport.get('portal') or receipt.partner_id or 'unknown'}"[:64]
    if partner is None:  # nobody vouched for it: the unknown-sender case, nothing read
        run.open_interchange(
            format="json",
            sender=sender,
            receiver="",
            control_number=control,
            partner=None,
            partner_id=receipt.partner_id or sender,
            is_test=False,
            prepared_at=None,
            window_days=DEFAULT_WINDOW_DAYS,
        )
        return
    map_key = transport.get("map") or tree_translate.json_map_of(partner, channel)
    outcomes = (
        tree_translate.translate_json(
            receipt.raw,
            content_sha256=receipt.content_sha256,
            maps=run.rt.maps,
            partner_id=partner.id,
            map_key=map_key,
            control=control,
            kind=resource,
            file_name=receipt.file_name,
        )
        if map_key is not None
        else []
    )
    ic = run.open_interchange(
        format="json",
        sender=sender,
        receiver="",
        control_number=control,
        partner=partner,
        partner_id=partner.id,
        is_test=False,
        prepared_at=None,
        window_days=DEFAULT_WINDOW_DAYS,
    )
    for outcome in outcomes:
        run.document(ic, complete_orders.expand(run, ic, outcome))
    run.close_interchange(ic, ())
