"""Purchase orders out as cXML OrderRequests, for partners whose `outbound_format` is cxml (a
`cxml.order_url` set): written and recorded in the caller's transaction, POSTed after it commits
(`outbound.deliver_cxml`, inline or on a worker), and marked by the partner's synchronous Response.

- cXML Status 200: `accepted`; 201 (accepted for later processing): `sent`;
- a 4xx Status: `rejected`, and a `transmission_rejected` case for integration operations says why;
- no answer, a 5xx Status or a reply that is not cXML: the message stays `written`; a worker
  retries it with backoff (inline, the failure is logged and the message waits for a retry).

A new revision of an order the partner has goes out as `type="update"` (the whole order again,
`orderVersion` = revision + 1) naming the payloadID of the order it replaces.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Literal

from sqlalchemy.orm import Session

import gateway
from gateway import canonical
from gateway.canonical import ExceptionType
from gateway.channels import cxml_post
from gateway.correlation import cases
from gateway.errors import DeliveryError, PartnerConfigError
from gateway.formats.cxml.model import Credential, DeploymentMode
from gateway.mapping.cxml_order import Parties, order_request
from gateway.partners import secrets
from gateway.partners.model import Mode, PartnerConfig
from gateway.pipeline.correlate import Applier
from gateway.pipeline.runtime import Runtime
from gateway.store import models as db
from gateway.store.repositories.erp import PurchaseOrderRepository
from gateway.store.repositories.messaging import OutboundMessageRepository
from gateway.store.session import session_scope

log = logging.getLogger(__name__)
KIND = "OrderRequest"
DELIVER_JOB = "outbound.deliver_cxml"


def _payload_id(now: dt.datetime) -> str:
    return f"{now:%Y%m%d%H%M%S}.{uuid.uuid4().hex[:9]}@gateway"  # 32 characters, as the column holds


def previous_payload_id(session: Session, partner_id: str, po_number: str) -> str | None:
    """The payloadID of the last OrderRequest the partner was sent for this order."""
    sent = OutboundMessageRepository(session).list(partner_id=partner_id, kind=KIND, limit=10_000)
    return next((m.interchange_control for m in reversed(sent) if po_number in (m.set_controls or [])), None)


def send_order(
    session: Session,
    rt: Runtime,
    partner: PartnerConfig,
    po: canonical.PurchaseOrder,
    *,
    operation: Literal["new", "update"] = "new",
) -> db.OutboundMessage:
    """Write the OrderRequest, record it, mark the PO sent, and have it POSTed after the commit."""
    cx = partner.cxml
    if cx is None or cx.order_url is None:
        raise PartnerConfigError(f"partner {partner.id} has no cxml.order_url to send an OrderRequest")
    secret = secrets.resolve(cx.shared_secret, base_dir=rt.settings.partners_dir).get_secret_value()
    me = rt.settings.buyer
    now = rt.clock.now()
    payload_id = _payload_id(now)
    previous = previous_payload_id(session, partner.id, po.po_number) if operation == "update" else None
    body = order_request(
        po,
        parties=Parties(
            from_=Credential(me.cxml_domain, me.cxml_identity),
            to=Credential(cx.domain, cx.identity),
            sender=Credential(me.cxml_domain, me.cxml_identity, secret),
            user_agent=f"Supplier collaboration gateway {gateway.__version__}",
        ),
        payload_id=payload_id,
        timestamp=now,
        deployment_mode=DeploymentMode.TEST if partner.mode is Mode.TEST else DeploymentMode.PRODUCTION,
        operation=operation,
        previous_payload_id=previous,
        bill_to=me.name,
    )
    message = OutboundMessageRepository(session).add(
        id=str(uuid.uuid4()),
        partner_id=partner.id,
        kind=KIND,
        format="cxml",
        content=body.decode("utf-8"),
        interchange_control=payload_id,
        group_control=None,
        set_controls=(po.po_number,),
        path=None,
        status=db.OutboundStatus.WRITTEN,
        at=now,
    )
    orders = PurchaseOrderRepository(session)
    orders.mark_sent(orders.require(po.po_number, partner_id=po.partner_id).id, at=now)
    rt.jobs.enqueue_after_commit(session, DELIVER_JOB, message.id)
    return message


def deliver(rt: Runtime, message_id: str) -> DeliveryError | None:
    """POST one written OrderRequest and record the answer; the error when it was not delivered
    (already delivered or refused messages are left alone)."""
    with session_scope(rt.sessionmaker) as session:
        message = OutboundMessageRepository(session).get(message_id)
        if message is None or message.status is not db.OutboundStatus.WRITTEN:
            return None
        partner = rt.partners.get(message.partner_id)
        url = partner.cxml.order_url if partner.cxml is not None else None
        content = message.content
    if url is None:
        return DeliveryError(f"partner {message.partner_id} has no cxml.order_url any more", retryable=False)
    try:
        reply = cxml_post.post(url, content.encode("utf-8"))
    except DeliveryError as exc:
        log.warning("OrderRequest %s to %s: %s", message_id, url, exc.detail)
        if not exc.retryable:
            _rejected(rt, message_id, exc)
        return exc
    status = db.OutboundStatus.ACCEPTED if reply.code == "200" else db.OutboundStatus.SENT
    with session_scope(rt.sessionmaker) as session:
        OutboundMessageRepository(session).set_status(message_id, status, acked_at=rt.clock.now())
    return None


def _rejected(rt: Runtime, message_id: str, exc: DeliveryError) -> None:
    now = rt.clock.now()
    with session_scope(rt.sessionmaker) as session:
        message = OutboundMessageRepository(session).set_status(
            message_id, db.OutboundStatus.REJECTED, acked_at=now
        )
        po_number = message.set_controls[0] if message.set_controls else None
        applier = Applier(session, correlation_id=f"outbound:{message_id}", now=now, partners=rt.partners)
        applier.open_cases(
            [
                cases.make_case(
                    ExceptionType.TRANSMISSION_REJECTED,
                    partner_id=message.partner_id,
                    subject=f"partner:{message.partner_id}:cxml:{message.interchange_control}",
                    message=f"OrderRequest for PO {po_number} refused: {exc.detail}",
                    now=now,
                    po_number=po_number,
                    expected="cXML Status 200 or 201",
                    actual=str(exc.extensions.get("status_code", "refused")),
                )
            ],
            None,
        )
