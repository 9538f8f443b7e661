"""SLA monitors: documents that should have arrived by now and have not.

Run by arq cron jobs (`gateway/worker/settings.py`) and by `gateway monitors run`; the time is the
runtime's clock. Each opens (or refreshes) one case per subject and closes it when the missing
document arrives:

- `no_functional_ack` on `partner:<id>:group:PO:<GS06>`: an 850 we wrote is still `written`/`sent` (no 997)
  `sla.functional_ack_hours` after it was written. The Applier resolves it when the 997 comes;
  partners with `functional_ack: none` are not monitored. For EDIFACT partners, on
  `partner:<id>:interchange:<UNB 0020>`: an ORDERS interchange that asked for a CONTRL has none
  after the same hours (partners with `request_contrl: false` are not monitored); the CONTRL
  resolves it.
- `no_po_ack` on `po:<po>`: a PO we sent has no commitment on any line `sla.po_ack_hours` after it
  was sent. The Applier resolves it when a commitment for the PO is applied.
- `shipment_overdue` on `po:<po>:line:<line>`: a committed (not rejected, not cancelled) line has
  shipped less than committed by its committed date plus `sla.ship_grace_days` (the committed date
  is taken as it is, ship or delivery). The Applier resolves it when shipments cover the committed
  quantity; a newer commitment with a later date resolves it at the next run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy.orm import Session

from gateway import canonical
from gateway.canonical import ExceptionType
from gateway.correlation import cases
from gateway.correlation.sla import overdue_quantity
from gateway.partners.model import FunctionalAckKind, PartnerConfig
from gateway.pipeline.correlate import EDIFACT_ACKED_KINDS, Applier, group_subject, interchange_subject
from gateway.pipeline.runtime import Runtime
from gateway.store import models as db
from gateway.store.repositories.erp import PurchaseOrderRepository
from gateway.store.repositories.messaging import OutboundMessageRepository

JOB = "monitors.run"
_PAGE = 500
# Not acknowledged yet: also while still queued for delivery or dead-lettered (never delivered).
_WAITING = (
    db.OutboundStatus.QUEUED,
    db.OutboundStatus.WRITTEN,
    db.OutboundStatus.SENT,
    db.OutboundStatus.DEAD_LETTER,
)


@dataclass
class MonitorReport:
    checked_at: dt.datetime
    opened: list[str] = field(default_factory=list)  # "<type> <subject>"
    resolved: list[str] = field(default_factory=list)


def run(session: Session, rt: Runtime) -> MonitorReport:
    """Every monitor for every partner, in the caller's transaction."""
    now = rt.clock.now()
    applier = Applier(session, correlation_id=f"monitors:{now.isoformat()}", now=now, partners=rt.partners)
    report = MonitorReport(checked_at=now)
    for partner in rt.partners:
        found: list[canonical.ExceptionCase] = []
        found += _no_functional_ack(session, partner, now)
        po_cases, settled = _purchase_orders(session, partner, now)
        found += po_cases
        before = len(applier.opened)
        applier.open_cases(found, None)
        report.opened += [f"{c.type} {c.subject}" for c in applier.opened[before:]]
        for type_, subject in settled:
            if applier.cases.find_active(type_, subject) is not None:
                report.resolved.append(f"{type_} {subject}")
        applier.resolve_cases(settled, note="no longer overdue")
    return report


# The outbound documents a partner's 997 acknowledges, with the GS01 of their groups.
_ACKED_KINDS = {"850": "PO", "860": "PC"}


def _no_functional_ack(
    session: Session, partner: PartnerConfig, now: dt.datetime
) -> list[canonical.ExceptionCase]:
    hours = partner.sla.functional_ack_hours
    found: list[canonical.ExceptionCase] = []
    if partner.x12 is not None and partner.x12.functional_ack is not FunctionalAckKind.NONE:
        for kind, functional_id in _ACKED_KINDS.items():
            for m in _waiting(session, partner, kind, now - dt.timedelta(hours=hours)):
                found.append(
                    cases.make_case(
                        ExceptionType.NO_FUNCTIONAL_ACK,
                        partner_id=partner.id,
                        subject=group_subject(partner.id, functional_id, m.group_control or "?"),
                        message=(
                            f"no 997 for our {kind} group {m.group_control} (interchange "
                            f"{m.interchange_control}) {hours} hours after it was written"
                        ),
                        now=now,
                        expected=f"a 997 within {hours} hours",
                        actual=f"none since {m.created_at.isoformat()}",
                    )
                )
    if partner.edifact is not None and partner.edifact.request_contrl:
        for kind in sorted(EDIFACT_ACKED_KINDS):
            for m in _waiting(session, partner, kind, now - dt.timedelta(hours=hours)):
                if m.group_control is None:  # sent without asking for a CONTRL (UNB 0031)
                    continue
                found.append(
                    cases.make_case(
                        ExceptionType.NO_FUNCTIONAL_ACK,
                        partner_id=partner.id,
                        subject=interchange_subject(partner.id, m.interchange_control or m.group_control),
                        message=(
                            f"no CONTRL for our {kind} interchange {m.interchange_control} "
                            f"{hours} hours after it was written"
                        ),
                        now=now,
                        expected=f"a CONTRL within {hours} hours",
                        actual=f"none since {m.created_at.isoformat()}",
                    )
                )
    return found


def _waiting(
    session: Session, partner: PartnerConfig, kind: str, before: dt.datetime
) -> Iterator[db.OutboundMessage]:
    """The partner's outbound messages of `kind` written before `before` and not acknowledged yet."""
    messages = OutboundMessageRepository(session)
    offset = 0
    while True:
        page = messages.list(
            partner_id=partner.id,
            kind=kind,
            status=_WAITING,
            created_before=before,
            limit=_PAGE,
            offset=offset,
        )
        yield from page
        if len(page) < _PAGE:
            return
        offset += _PAGE


# What answers a purchase order, by how the partner's orders go out (`PartnerConfig.outbound_format`):
# the document a no_po_ack case says is missing, alone and as the case's expectation says it.
PO_ANSWERS: dict[str, tuple[str, str]] = {
    "x12": ("855", "an 855"),
    "edifact": ("ORDRSP", "an ORDRSP"),
    "cxml": ("ConfirmationRequest", "a ConfirmationRequest"),
    "none": ("commitment", "a commitment"),  # orders read from the API, answered there or by the portal
}


def _purchase_orders(
    session: Session, partner: PartnerConfig, now: dt.datetime
) -> tuple[list[canonical.ExceptionCase], list[tuple[ExceptionType, str]]]:
    """no_po_ack for sent POs without any commitment; shipment_overdue per committed line."""
    orders = PurchaseOrderRepository(session)
    found: list[canonical.ExceptionCase] = []
    settled: list[tuple[ExceptionType, str]] = []
    po_ack_hours, grace = partner.sla.po_ack_hours, partner.sla.ship_grace_days
    answer, an_answer = PO_ANSWERS[partner.outbound_format]
    offset = 0
    while True:
        page = orders.list(partner_id=partner.id, with_lines=True, limit=_PAGE, offset=offset)
        for po in page:
            state = orders.state_of(po)
            ledgers = [state.ledger(line) for line in state.po.lines]
            acknowledged = any(led.has_commitment for led in ledgers)
            subject = cases.po_subject(po.po_number)
            if (
                po.sent_at is not None
                and not acknowledged
                and now - po.sent_at >= dt.timedelta(hours=po_ack_hours)
            ):
                found.append(
                    cases.make_case(
                        ExceptionType.NO_PO_ACK,
                        partner_id=partner.id,
                        subject=subject,
                        message=(
                            f"no acknowledgement ({answer}) of PO {po.po_number} "
                            f"{po_ack_hours} hours after it was sent"
                        ),
                        now=now,
                        po_number=po.po_number,
                        expected=f"{an_answer} within {po_ack_hours} hours",
                        actual=f"none since {po.sent_at.isoformat()}",
                    )
                )
            elif acknowledged:
                settled.append((ExceptionType.NO_PO_ACK, subject))
            for led in ledgers:
                line_subject = cases.line_subject(led.po_number, led.line_number)
                missing = overdue_quantity(led, grace, now.date())
                if missing is None:
                    settled.append((ExceptionType.SHIPMENT_OVERDUE, line_subject))
                    continue
                due = (led.committed_date or now.date()) + dt.timedelta(days=grace)
                found.append(
                    cases.make_case(
                        ExceptionType.SHIPMENT_OVERDUE,
                        partner_id=partner.id,
                        subject=line_subject,
                        message=(
                            f"PO {led.po_number} line {led.line_number}: {cases.fmt_qty(missing, led.unit)} "
                            f"not shipped by {due.isoformat()} (committed {led.committed_date}, "
                            f"grace {grace} day(s))"
                        ),
                        now=now,
                        po_number=led.po_number,
                        line_number=led.line_number,
                        expected=cases.fmt_qty(led.committed_quantity or Decimal(0), led.unit)
                        + f" shipped by {due.isoformat()}",
                        actual=cases.fmt_qty(led.shipped_total, led.unit),
                    )
                )
        if len(page) < _PAGE:
            return found, settled
        offset += _PAGE
