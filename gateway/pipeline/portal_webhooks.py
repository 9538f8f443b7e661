"""`POST /v1/webhooks/{portal}`: a supplier portal's signed JSON event in.

    bytes stored (committed) → Standard Webhooks signature checked against the `whsec_` keys of
    every partner reached through the portal → the payload's account (the portal map's `account`
    path) names the partner, whose key must be among those that signed → `webhook-id` claimed
    (unique per portal) → released for processing with the partner's JSON map

A `webhook-id` received before answers success and changes nothing (the receipt is kept, marked
duplicate). Every refusal keeps the bytes and marks the receipt failed with the reason: a bad or
stale signature (`SignatureError`, 401), an unknown portal (404), a payload that is not JSON or
names no partner's account (422).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from gateway.channels import portal_webhook, webhook_out
from gateway.errors import GatewayError, NotFoundError, PartnerConfigError, PartnerError
from gateway.formats.tree import from_json, parse_json
from gateway.partners import secrets
from gateway.partners.model import PartnerConfig
from gateway.pipeline import ingest, views
from gateway.pipeline.runtime import Runtime
from gateway.store import models as db
from gateway.store.repositories.channels import PortalWebhookRepository
from gateway.store.session import session_scope

log = logging.getLogger(__name__)
CHANNEL = "portal"


class UnknownAccountError(PartnerError):
    type = "/problems/unknown-portal-account"
    title = "The event names no partner's portal account"


@dataclass(frozen=True)
class Outcome:
    status: Literal["processed", "queued", "duplicate"]
    receipt_id: str
    partner_id: str
    webhook_id: str
    duplicate_of: str | None = None
    documents: tuple[views.DocumentView, ...] = field(default=())


def _keys(rt: Runtime, partners: tuple[PartnerConfig, ...]) -> list[tuple[str, bytes]]:
    """(partner id, HMAC key) for every secret the portal's partners reference. A reference that does
    not resolve is logged and skipped: the other keys still verify."""
    out = []
    for partner in partners:
        assert partner.portal is not None
        for ref in partner.portal.secrets:
            try:
                value = secrets.resolve(ref, base_dir=rt.settings.partners_dir).get_secret_value()
                out.append((partner.id, webhook_out.decode_secret(value.strip())))
            except (PartnerConfigError, webhook_out.SubscriberConfigError) as exc:
                log.error(
                    "portal %s, partner %s: secret %s unusable: %s",
                    partner.portal.portal,
                    partner.id,
                    ref,
                    exc,
                )
    return out


def receive(rt: Runtime, portal: str, headers: Mapping[str, str], body: bytes) -> Outcome:
    """Verify, de-duplicate and process one delivery (see the module docstring); raises the
    GatewayError to answer when it is refused."""
    webhook_id = headers.get("webhook-id", "").strip()[:255]
    receipt_id = ingest.receive(
        rt,
        body,
        channel=CHANNEL,
        file_name=f"{portal}/{webhook_id or 'no-webhook-id'}"[:512],
        transport={"channel": CHANNEL, "portal": portal, "webhook_id": webhook_id},
        process=False,
    )
    try:
        partner = _verify(rt, portal, headers, body)
    except GatewayError as exc:
        ingest.refuse(rt, receipt_id, f"{type(exc).__name__}: {exc.detail}")
        log.warning(
            "portal %s webhook %s refused: %s",
            portal,
            webhook_id,
            exc.detail,
            extra={"correlation_id": receipt_id},
        )
        raise
    with session_scope(rt.sessionmaker) as session:
        hooks = PortalWebhookRepository(session)
        claimed = hooks.claim(
            portal, webhook_id, receipt_id=receipt_id, partner_id=partner.id, at=rt.clock.now()
        )
        earlier = None if claimed is not None else hooks.get(portal, webhook_id)
    if earlier is not None:
        ingest.refuse(
            rt,
            receipt_id,
            f"webhook {webhook_id} was received before (receipt {earlier.receipt_id})",
            status=db.ReceiptStatus.DUPLICATE,
            duplicate_of=earlier.receipt_id,
        )
        return Outcome("duplicate", receipt_id, partner.id, webhook_id, duplicate_of=earlier.receipt_id)
    ingest.release(rt, receipt_id, partner_id=partner.id)
    if not rt.jobs.inline:
        return Outcome("queued", receipt_id, partner.id, webhook_id)
    with session_scope(rt.sessionmaker) as session:
        view = views.receipt(session, receipt_id)
    return Outcome("processed", receipt_id, partner.id, webhook_id, documents=view.documents)


def _verify(rt: Runtime, portal: str, headers: Mapping[str, str], body: bytes) -> PartnerConfig:
    partners = rt.partners.portal_partners(portal)
    if not partners:
        raise NotFoundError(f"no partner is reached through portal {portal!r}", portal=portal)
    keys = _keys(rt, partners)
    _, matched = portal_webhook.matching_keys(headers, body, [k for _, k in keys], now=rt.clock.now())
    signers = {keys[i][0] for i in matched}
    if not signers:
        raise portal_webhook.SignatureError(f"no key of portal {portal!r}'s partners signed this webhook")
    root = from_json(parse_json(body, file_name="webhook body"))
    accounts = {rt.maps.trees.json(p.portal.map).account_of(root) for p in partners if p.portal is not None}
    accounts.discard(None)
    found = [
        partner
        for account in sorted(a for a in accounts if a is not None)
        if (partner := rt.partners.identify_portal(portal, account)) is not None
    ]
    if len(found) != 1:
        named = ", ".join(sorted(a for a in accounts if a is not None)) or "no account"
        raise UnknownAccountError(f"the event names {named}, which no partner of portal {portal!r} has")
    partner = found[0]
    if partner.id not in signers:
        raise portal_webhook.SignatureError(
            f"the event's account belongs to {partner.id}, whose key did not sign it"
        )
    if not partner.enabled:
        raise PartnerError(f"partner {partner.id} is disabled")
    return partner
