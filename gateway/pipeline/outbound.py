"""Outbound X12: envelopes with persisted control numbers, delivery by the partner's transport, and
a record of every message sent (so a partner's 997 can be matched to the group it acknowledges).

Purchase orders go out as 850s; a new revision of one the partner already has goes out as an 860
(or as a new 850, per the partner's `x12.po_changes`).

`hand_over` is the one transport seam, format-neutral: bytes with a name and a content type go to
the partner's file-drop outbox, or to its AS2 URL (built and queued in the caller's transaction,
posted after the commit, the MDN recorded on the message row), per `channels.outbound`. EDIFACT
writers record their `OutboundMessage` and call it the same way. Partners whose `outbound_format` is
cxml get OrderRequests POSTed to their `cxml.order_url` instead (`cxml_orders.py`: cXML has its own
HTTP transport and a synchronous Response); those with none get nothing (they read orders from the
API)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session

from gateway import canonical
from gateway.channels.filedrop import mailbox_for
from gateway.errors import PartnerConfigError
from gateway.formats.x12 import model as x12
from gateway.formats.x12 import writer
from gateway.mapping import Party, purchase_order_change, purchase_order_change_to_860, purchase_order_to_850
from gateway.partners.model import PartnerConfig
from gateway.pipeline import as2_outbound, cxml_orders
from gateway.pipeline.runtime import Runtime
from gateway.store import models as db
from gateway.store.repositories.erp import PurchaseOrderRepository
from gateway.store.repositories.messaging import ControlNumberRepository, OutboundMessageRepository


def x12_envelope(rt: Runtime, partner: PartnerConfig, *, ack_requested: bool) -> x12.WriterEnvelope:
    """Our identity as sender, the partner's as receiver, in the partner's delimiters and release."""
    if partner.x12 is None:
        raise PartnerConfigError(f"partner {partner.id} has no x12 settings")
    cfg, me = partner.x12, rt.settings.buyer
    d = cfg.delimiters
    return x12.WriterEnvelope(
        sender_qualifier=me.isa_qualifier,
        sender_id=me.isa_id,
        receiver_qualifier=cfg.isa_qualifier,
        receiver_id=cfg.isa_id,
        version=cfg.isa12,
        gs_version=cfg.version,
        application_sender=me.gs_id,
        application_receiver=cfg.gs_id or cfg.isa_id,
        usage="T" if partner.mode == "test" else "P",
        ack_requested="1" if ack_requested else "0",
        delimiters=x12.Delimiters(
            element=d.element,
            segment=d.segment,
            component=d.component,
            repetition=d.repetition if cfg.isa12 >= "00402" else None,
        ),
    )


def deliver_x12(
    session: Session,
    rt: Runtime,
    partner: PartnerConfig,
    *,
    kind: str,
    now: dt.datetime,
    render: Callable[[int, int], str],
    group: bool = True,
    set_controls: tuple[str, ...] = (),
) -> db.OutboundMessage:
    """Allocate ISA13 (and GS06), render, write to the partner's outbox, and record the message."""
    numbers = ControlNumberRepository(session)
    isa = numbers.allocate(partner.id, db.ControlKind.ISA)[0]
    gs = numbers.allocate(partner.id, db.ControlKind.GS)[0] if group else 0
    content = render(isa, gs)
    message = OutboundMessageRepository(session).add(
        id=str(uuid.uuid4()),
        partner_id=partner.id,
        kind=kind,
        format="x12",
        content=content,
        interchange_control=f"{isa:09d}",
        group_control=str(gs) if group else None,
        set_controls=set_controls,
        status=db.OutboundStatus.WRITTEN,
        at=now,
    )
    name = f"{kind.replace('+', '-')}_{isa:09d}.edi"
    hand_over(session, rt, partner, message, Outgoing(name, content.encode("utf-8"), X12_CONTENT_TYPE))
    return message


X12_CONTENT_TYPE = "application/edi-x12"
EDIFACT_CONTENT_TYPE = "application/edifact"
XML_CONTENT_TYPE = "application/xml"


@dataclass(frozen=True)
class Outgoing:
    """What goes to a partner, whatever its format: a file name, the bytes, their MIME type."""

    name: str
    content: bytes
    content_type: str


@dataclass(frozen=True)
class Handover:
    transport: Literal["filedrop", "as2", "none"]
    path: str | None = None  # the outbox file (file drop)
    as2_message_id: str | None = None  # the as2_message row (AS2)


def hand_over(
    session: Session, rt: Runtime, partner: PartnerConfig, message: db.OutboundMessage, outgoing: Outgoing
) -> Handover:
    """Deliver `outgoing` for the recorded `message` by the partner's transport (`channels.outbound`,
    by default AS2 when `channels.as2.url` is set, else the file drop): the file is written to the
    outbox now; an AS2 message is built and stored now and posted after the commit. The message row
    gets the transport, and the path or the MDN status ("pending", then the MDN's disposition)."""
    transport = partner.channels.outbound_transport
    if transport == "filedrop":
        assert partner.channels.filedrop is not None
        box = mailbox_for(rt.settings.data_dir, partner.channels.filedrop.root)
        path = str(box.deliver(outgoing.name, outgoing.content))
        message.transport, message.path = "filedrop", path
        session.flush()
        return Handover("filedrop", path=path)
    if transport == "as2":
        message.transport = "as2"
        row = as2_outbound.queue(
            session,
            rt,
            partner,
            message,
            name=outgoing.name,
            content=outgoing.content,
            content_type=outgoing.content_type,
        )
        return Handover("as2", as2_message_id=row.id)
    return Handover("none")


def send_purchase_order(
    session: Session, rt: Runtime, po: canonical.PurchaseOrder
) -> db.OutboundMessage | None:
    """Send the PO the way the partner takes orders (`outbound_format`): an 850 in its release to
    its outbox, or a cXML OrderRequest POSTed to its `cxml.order_url`; the PO is marked sent. None
    for a partner that takes no orders by message (it reads them from the API)."""
    partner = rt.partners.get(po.partner_id)
    if partner.outbound_format == "none":
        return None
    if partner.outbound_format == "cxml":
        return cxml_orders.send_order(session, rt, partner, po)
    if partner.x12 is None:
        raise PartnerConfigError(f"partner {partner.id} has no x12 settings to send an 850")
    version = partner.x12.version
    me = rt.settings.buyer
    body = purchase_order_to_850(
        po,
        version=version,
        buyer=Party(name=me.name, id=me.gs_id),
        supplier=Party(name=partner.name, id=partner.x12.isa_id),
        map=rt.maps.outbound("x12", "850", version),
    )
    message = _send_set(session, rt, partner, set_id="850", functional_id="PO", body=body)
    orders = PurchaseOrderRepository(session)
    row = orders.require(po.po_number, partner_id=po.partner_id)
    orders.mark_sent(row.id, at=rt.clock.now())
    return message


def send_purchase_order_change(
    session: Session, rt: Runtime, before: canonical.PurchaseOrder, after: canonical.PurchaseOrder
) -> db.OutboundMessage | None:
    """Tell the partner what revision `after` changes in `before` (the order it has): an 860 with one
    POC per changed line, or the whole order as a new 850 when its config says `po_changes: "850"`.

    None when no line changed (an 860 without POC loops says nothing), so nothing is written.
    """
    partner = rt.partners.get(after.partner_id)
    if partner.outbound_format == "none":
        return None
    if partner.outbound_format == "cxml":  # cXML updates carry the whole order again
        return cxml_orders.send_order(session, rt, partner, after, operation="update")
    if partner.x12 is None:
        raise PartnerConfigError(f"partner {partner.id} has no x12 settings to send a PO change")
    if partner.x12.po_changes == "850":
        return send_purchase_order(session, rt, after)
    change = purchase_order_change(before, after)
    if not change.lines:
        return None
    version = partner.x12.version
    me = rt.settings.buyer
    body = purchase_order_change_to_860(
        change,
        version=version,
        buyer=Party(name=me.name, id=me.gs_id),
        supplier=Party(name=partner.name, id=partner.x12.isa_id),
        map=rt.maps.outbound("x12", "860", version),
    )
    return _send_set(session, rt, partner, set_id="860", functional_id="PC", body=body)


def _send_set(
    session: Session,
    rt: Runtime,
    partner: PartnerConfig,
    *,
    set_id: str,
    functional_id: str,
    body: list[x12.Segment],
) -> db.OutboundMessage:
    """One transaction set in its own group and interchange, to the partner's outbox."""
    st = ControlNumberRepository(session).allocate(partner.id, db.ControlKind.ST)[0]
    st02 = f"{st:04d}"
    envelope = x12_envelope(rt, partner, ack_requested=False)
    now = rt.clock.now()

    def render(isa: int, gs: int) -> str:
        return writer.write_interchange(
            envelope,
            interchange_control=isa,
            groups=[writer.GroupToWrite(functional_id, gs, [writer.SetToWrite(set_id, st02, body)])],
            prepared_at=now,
            line_break="\n",
        )

    return deliver_x12(session, rt, partner, kind=set_id, now=now, render=render, set_controls=(st02,))
