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
from gateway.errors import PartnerConfigError
from gateway.formats.edifact import model as edifact
from gateway.formats.edifact import writer as edifact_writer
from gateway.formats.x12 import model as x12
from gateway.formats.x12 import writer
from gateway.mapping import (
    Party,
    edifact_order,
    purchase_order_change,
    purchase_order_change_to_860,
    purchase_order_to_850,
)
from gateway.partners.model import PartnerConfig
from gateway.pipeline import as2_outbound, cxml_orders, delivery
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


def edifact_envelope(
    rt: Runtime, partner: PartnerConfig, *, ack_request: bool
) -> edifact_writer.WriterEnvelope:
    """Our UNB identity as sender, the partner's as recipient, in its syntax and service characters."""
    if partner.edifact is None:
        raise PartnerConfigError(f"partner {partner.id} has no edifact settings")
    cfg, me = partner.edifact, rt.settings.buyer
    d = cfg.delimiters
    return edifact_writer.WriterEnvelope(
        sender_id=me.unb_id,
        sender_qualifier=me.unb_qualifier,
        recipient_id=cfg.unb_id,
        recipient_qualifier=cfg.unb_qualifier or "",
        syntax=cfg.syntax,
        syntax_version=cfg.syntax_version,
        chars=edifact.ServiceChars(
            component=d.component,
            element=d.element,
            decimal=d.decimal,
            release=d.release,
            repetition=d.repetition,
            segment=d.segment,
        ),
        write_una=cfg.write_una,
        ack_request=ack_request,
        test=partner.mode == "test",
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
    """Allocate ISA13 (and GS06), render and record the message; its transport (the partner's file
    drop outbox) gets it from the `outbound.deliver` job once this transaction commits."""
    numbers = ControlNumberRepository(session)
    isa = numbers.allocate(partner.id, db.ControlKind.ISA)[0]
    gs = numbers.allocate(partner.id, db.ControlKind.GS)[0] if group else 0
    return _record_and_hand_over(
        session,
        rt,
        partner,
        kind=kind,
        format="x12",
        content=render(isa, gs),
        interchange_control=f"{isa:09d}",
        group_control=str(gs) if group else None,
        set_controls=set_controls,
        content_type=X12_CONTENT_TYPE,
        now=now,
    )


def deliver_edifact(
    session: Session,
    rt: Runtime,
    partner: PartnerConfig,
    *,
    kind: str,
    now: dt.datetime,
    render: Callable[[str], str],
    awaits_contrl: bool = False,
    message_refs: tuple[str, ...] = (),
) -> db.OutboundMessage:
    """Allocate UNB 0020, render and record the interchange, and hand it to the partner's transport.

    An interchange that asks for a CONTRL (`awaits_contrl`) is recorded with its UNB 0020 as the
    group control too: the CONTRL's UCI names it, and that is how the answer finds it."""
    unb = f"{ControlNumberRepository(session).allocate(partner.id, db.ControlKind.UNB)[0]:09d}"
    return _record_and_hand_over(
        session,
        rt,
        partner,
        kind=kind,
        format="edifact",
        content=render(unb),
        interchange_control=unb,
        group_control=unb if awaits_contrl else None,
        set_controls=message_refs,
        content_type=EDIFACT_CONTENT_TYPE,
        now=now,
    )


def _record_and_hand_over(
    session: Session,
    rt: Runtime,
    partner: PartnerConfig,
    *,
    kind: str,
    format: str,
    content: str,
    interchange_control: str,
    group_control: str | None,
    set_controls: tuple[str, ...],
    content_type: str,
    now: dt.datetime,
) -> db.OutboundMessage:
    """Record an outbound message (status written) and hand it to the partner's transport (in the
    bytes `delivery.content_bytes` gives)."""
    message = OutboundMessageRepository(session).add(
        id=str(uuid.uuid4()),
        partner_id=partner.id,
        kind=kind,
        format=format,
        content=content,
        interchange_control=interchange_control,
        group_control=group_control,
        set_controls=set_controls,
        status=db.OutboundStatus.WRITTEN,
        at=now,
    )
    name = f"{kind.replace('+', '-')}_{interchange_control}.edi"
    hand_over(session, rt, partner, message, Outgoing(name, delivery.content_bytes(message), content_type))
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
    by default AS2 when `channels.as2.url` is set, else the file drop): the message is `queued` for
    the `outbound.deliver` job, which writes the outbox file after the commit (with retries); an AS2
    message is built and stored now and posted after the commit. The message row gets the
    transport, and the path or the MDN status ("pending", then the MDN's disposition)."""
    transport = partner.channels.outbound_transport
    if transport == "filedrop":
        path = delivery.queue_filedrop(session, rt, partner, message, outgoing.name)
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
    if partner.outbound_format == "edifact":
        message = send_orders(session, rt, partner, po)
        orders = PurchaseOrderRepository(session)
        orders.mark_sent(orders.require(po.po_number, partner_id=po.partner_id).id, at=rt.clock.now())
        return message
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
    if partner.outbound_format == "edifact":  # a revision goes out whole, as an ORDERS that replaces
        return send_orders(session, rt, partner, after)
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


def send_orders(
    session: Session, rt: Runtime, partner: PartnerConfig, po: canonical.PurchaseOrder
) -> db.OutboundMessage:
    """The PO as one ORDERS in its own interchange (asking for a CONTRL when the partner's
    `edifact.request_contrl` says so), to the partner's transport."""
    cfg = partner.edifact
    if cfg is None:
        raise PartnerConfigError(f"partner {partner.id} has no edifact settings to send an ORDERS")
    me = rt.settings.buyer
    body = edifact_order.purchase_order_to_orders(
        po,
        buyer=edifact_order.OrderParty(me.unb_id, me.name),
        supplier=edifact_order.OrderParty(
            cfg.unb_id, partner.name, "9" if cfg.unb_qualifier == "14" else "92"
        ),
    )
    reference = str(ControlNumberRepository(session).allocate(partner.id, db.ControlKind.UNH)[0])
    message = edifact_writer.MessageToWrite(
        reference=reference,
        type="ORDERS",
        version=cfg.directory[0],
        release=cfg.directory[1:],
        association=cfg.association or "",
        body=body,
    )
    envelope = edifact_envelope(rt, partner, ack_request=cfg.request_contrl)
    now = rt.clock.now()

    def render(unb: str) -> str:
        return edifact_writer.write_interchange(
            envelope, control_reference=unb, messages=[message], prepared_at=now, line_break="\n"
        )

    return deliver_edifact(
        session,
        rt,
        partner,
        kind="ORDERS",
        now=now,
        render=render,
        awaits_contrl=cfg.request_contrl,
        message_refs=(reference,),
    )


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
