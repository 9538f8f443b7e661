"""Replay: re-derive a receipt's events from its raw bytes with today's partners and maps, show what
would change, and apply it only when asked.

    report = replay.run(rt, replay.Selection(receipt_ids=[...]), apply=False, actor="cli:ana")

Every selected receipt is worked in its own transaction: the change is really made (the same
Applier the intake uses), the difference read back (events added, removed or changed; the ledger of
every PO line touched, before and after; cases opened and resolved; events the feed would carry),
and the transaction rolled back, or committed with `apply`. What is shown is therefore what applying
does, not a guess. Acknowledgements are not sent again (jobs are queued only on commit, and a
correction sends none).

What a receipt needs, by its state:

- still `received`, dead-lettered, or failed before any document was stored: **reprocess** it as the
  intake would (the dead letter is resolved when this is applied);
- processed: **correct** each of its documents. A document whose new events equal the stored ones
  is `unchanged` and nothing is written, so replaying a processed document changes no state. A
  changed one is applied with its version stamp's `revision` raised above every earlier
  application of the same document: the corrected events outrank the document's own earlier ones
  (same `issued_at` and `sequence`, a higher revision) and still lose to any genuinely newer
  document, so newer-wins holds. An event the corrected map no longer yields is retracted where
  this document still holds the current version: a shipment by a delete of its quantities (a
  tombstone at the new revision); a commitment is left in the ledger and reported, because the
  commitment it replaced cannot be restored from what is kept. A document the old map skipped or
  rejected and the new one maps is correlated as if new, and its `document_rejected` case resolved;
- a duplicate: nothing (its original is what counts; replay that one).

Dead-lettered outbound messages and webhook deliveries are queued again (`--dead-letters`).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway import canonical, correlation
from gateway.canonical import EventType, ExceptionType
from gateway.correlation import cases
from gateway.errors import FormatError, GatewayError, NotFoundError
from gateway.kit import logs
from gateway.mapping import Event as MappedEvent
from gateway.partners.model import Mode
from gateway.pipeline import audit, delivery, ingest, translate
from gateway.pipeline.correlate import Applier
from gateway.pipeline.runtime import Runtime
from gateway.pipeline.translate import DocumentOutcome
from gateway.store import models as db
from gateway.store.repositories.intake import DocumentRepository, ProcessingStepRepository
from gateway.store.repositories.operations import DeadLetterRepository, lock_row
from gateway.store.repositories.supply import CommitmentRepository, ShipmentRepository

log = logging.getLogger(__name__)
MAX_RECEIPTS = 10_000


class Selection(BaseModel):
    """What to replay: receipts or documents by id, a partner's receipts in a time range, and/or
    everything dead-lettered."""

    receipt_ids: list[str] = Field(default_factory=list)
    document_ids: list[str] = Field(default_factory=list)
    partner_id: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    dead_letters: bool = False

    def empty(self) -> bool:
        return not (self.receipt_ids or self.document_ids or self.partner_id or self.dead_letters)


class Action(StrEnum):
    UNCHANGED = "unchanged"  # today's maps give the same events: nothing to do
    CORRECT = "correct"  # some documents' events change
    REPROCESS = "reprocess"  # never processed (waiting, dead-lettered, unreadable before)
    REQUEUE = "requeue"  # a dead-lettered delivery queued again
    SKIP = "skip"  # a duplicate, a test document, busy...
    FAILED = "failed"  # the replay itself failed (the reason says why)


class EventChange(BaseModel):
    document_id: str
    kind: str  # commitment, shipment, functional_ack
    key: str  # "PO 4500001002 line 1", "shipment SHP-1"
    change: str  # added, removed, changed, superseded, not_retracted
    fields: list[str] = Field(default_factory=list)
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


class LineChange(BaseModel):
    partner_id: str
    po_number: str
    line_number: str
    fields: list[str]
    before: dict[str, Any]
    after: dict[str, Any]


class ReceiptPlan(BaseModel):
    receipt_id: str
    file_name: str | None = None
    partner_id: str | None = None
    status: str  # the receipt's status before the replay
    action: Action = Action.UNCHANGED
    note: str | None = None
    documents: dict[str, str] = Field(default_factory=dict)  # document id -> what happens to it
    events: list[EventChange] = Field(default_factory=list)
    lines: list[LineChange] = Field(default_factory=list)
    exceptions_opened: list[str] = Field(default_factory=list)
    exceptions_resolved: list[str] = Field(default_factory=list)
    feed_events: dict[str, int] = Field(default_factory=dict)  # event type -> how many the feed gets


class ReplayReport(BaseModel):
    applied: bool
    actor: str
    plans: list[ReceiptPlan]

    def count(self, action: Action) -> int:
        return sum(1 for p in self.plans if p.action is action)

    @property
    def changes(self) -> int:
        return sum(1 for p in self.plans if p.action in (Action.CORRECT, Action.REPROCESS, Action.REQUEUE))


# ------------------------------------------------------------------------------------- selection


def select_receipts(session: Session, selection: Selection) -> list[str]:
    """The receipt ids a selection names, oldest first (documents are replayed through their receipt)."""
    found: dict[str, dt.datetime] = {}

    def add(rows: Iterable[tuple[str, dt.datetime]]) -> None:
        for rid, at in rows:
            found.setdefault(rid, at)

    r = db.Receipt
    if selection.receipt_ids:
        add(session.execute(select(r.id, r.received_at).where(r.id.in_(selection.receipt_ids))).all())
        missing = set(selection.receipt_ids) - set(found)
        if missing:
            raise NotFoundError(f"receipt {sorted(missing)[0]} does not exist")
    if selection.document_ids:
        rows = session.execute(
            select(r.id, r.received_at)
            .join(db.Document, db.Document.receipt_id == r.id)
            .where(db.Document.id.in_(selection.document_ids))
        ).all()
        before = len(found)
        add(rows)
        if len(found) == before and selection.document_ids:
            known = session.scalar(
                select(func.count())
                .select_from(db.Document)
                .where(db.Document.id.in_(selection.document_ids))
            )
            if not known:
                raise NotFoundError(f"document {selection.document_ids[0]} does not exist")
    if selection.partner_id is not None:
        query = select(r.id, r.received_at).where(r.partner_id == selection.partner_id)
        via_documents = select(db.Document.receipt_id).where(db.Document.partner_id == selection.partner_id)
        query = select(r.id, r.received_at).where(
            (r.partner_id == selection.partner_id) | r.id.in_(via_documents)
        )
        if selection.since is not None:
            query = query.where(r.received_at >= selection.since)
        if selection.until is not None:
            query = query.where(r.received_at < selection.until)
        add(session.execute(query.limit(MAX_RECEIPTS)).all())
    if selection.dead_letters:
        letters = DeadLetterRepository(session).list(kind=db.DeadLetterKind.RECEIPT, limit=MAX_RECEIPTS)
        add(session.execute(select(r.id, r.received_at).where(r.id.in_([d.item_id for d in letters]))).all())
    return [rid for rid, _ in sorted(found.items(), key=lambda item: (item[1], item[0]))]


# ------------------------------------------------------------------------------------------- run


def run(
    rt: Runtime,
    selection: Selection,
    *,
    apply: bool,
    actor: str,
    on_progress: Callable[[int, int], None] | None = None,
) -> ReplayReport:
    """Plan (and with `apply`, make) the replay of everything `selection` names; `on_progress(done,
    total)` after each receipt."""
    if selection.empty():
        raise ValueError("name receipts, documents, a partner, or the dead letters to replay")
    with rt.sessionmaker() as session:
        receipt_ids = select_receipts(session, selection)
    report = ReplayReport(applied=apply, actor=actor, plans=[])
    for done, receipt_id in enumerate(receipt_ids, start=1):
        report.plans.append(_receipt(rt, receipt_id, apply=apply, actor=actor))
        if on_progress is not None:
            on_progress(done, len(receipt_ids))
    if selection.dead_letters:
        report.plans.extend(_requeue_deliveries(rt, apply=apply, actor=actor))
    with rt.sessionmaker() as session, session.begin():
        audit.record(
            session,
            actor=actor,
            action="replay.applied" if apply else "replay.previewed",
            subject=_subject(selection),
            detail={
                "selection": selection.model_dump(mode="json", exclude_defaults=True),
                "receipts": len(receipt_ids),
                "changes": report.changes,
                "by_action": {str(a): report.count(a) for a in Action if report.count(a)},
            },
        )
    return report


def _subject(selection: Selection) -> str:
    if len(selection.receipt_ids) == 1 and not (selection.document_ids or selection.partner_id):
        return f"receipt:{selection.receipt_ids[0]}"
    if len(selection.document_ids) == 1 and not (selection.receipt_ids or selection.partner_id):
        return f"document:{selection.document_ids[0]}"
    if selection.partner_id is not None:
        return f"partner:{selection.partner_id}"
    return "dead-letters" if selection.dead_letters else "receipts"


def _receipt(rt: Runtime, receipt_id: str, *, apply: bool, actor: str) -> ReceiptPlan:
    with logs.bound(correlation_id=receipt_id, receipt_id=receipt_id), rt.sessionmaker() as session:
        try:
            plan = _plan(session, rt, receipt_id, actor=actor)
            if apply and plan.action in (Action.CORRECT, Action.REPROCESS):
                session.commit()
            else:
                session.rollback()
            return plan
        except (GatewayError, ValueError) as error:
            session.rollback()
            log.warning("replay of receipt %s failed: %s", receipt_id, error)
            return ReceiptPlan(receipt_id=receipt_id, status="?", action=Action.FAILED, note=str(error))


def _plan(session: Session, rt: Runtime, receipt_id: str, *, actor: str) -> ReceiptPlan:
    receipt, exists = lock_row(session, db.Receipt, receipt_id)
    if receipt is None:
        if not exists:
            raise NotFoundError(f"receipt {receipt_id} does not exist")
        return ReceiptPlan(
            receipt_id=receipt_id, status="?", action=Action.SKIP, note="a worker holds it now"
        )
    plan = ReceiptPlan(
        receipt_id=receipt.id,
        file_name=receipt.file_name,
        partner_id=receipt.partner_id,
        status=str(receipt.status),
    )
    if receipt.status is db.ReceiptStatus.DUPLICATE:
        plan.action, plan.note = (
            Action.SKIP,
            f"a duplicate of receipt {receipt.duplicate_of_id}: replay that one",
        )
        return plan
    stored = DocumentRepository(session).list(receipt_id=receipt.id, limit=100_000)
    try:
        outcomes = [
            item
            for item in translate.documents(
                io.BytesIO(receipt.raw),
                translate.TranslateContext(
                    content_sha256=receipt.content_sha256,
                    maps=rt.maps,
                    partners=rt.partners,
                    partner_id=receipt.partner_id,
                    file_name=receipt.file_name,
                ),
            )
            if isinstance(item, DocumentOutcome)
        ]
    except FormatError as error:
        if receipt.status is db.ReceiptStatus.FAILED:
            plan.action, plan.note = Action.UNCHANGED, f"still unreadable: {error.describe()}"
            return plan
        outcomes = []
    watch = _Watch(session, _touched_pos(session, outcomes, stored))
    if receipt.status is not db.ReceiptStatus.PROCESSED and not stored:
        _reprocess(session, rt, receipt, plan, actor)
    else:
        _correct(session, rt, receipt, plan, outcomes, {d.id: d for d in stored})
    watch.finish(plan, session)
    if plan.action is Action.CORRECT:
        ProcessingStepRepository(session).record(
            stage=db.Stage.REPLAYED,
            status=db.StepStatus.OK,
            receipt_id=receipt.id,
            detail=f"replayed by {actor}: {_changed_documents(plan)} documents changed",
            at=rt.clock.now(),
        )
    return plan


def _changed_documents(plan: ReceiptPlan) -> int:
    return sum(1 for v in plan.documents.values() if v == "corrected" or v.endswith("-> correlated"))


def _reprocess(session: Session, rt: Runtime, receipt: db.Receipt, plan: ReceiptPlan, actor: str) -> None:
    was = receipt.status
    receipt.status = db.ReceiptStatus.RECEIVED
    receipt.attempts = 0
    receipt.error = None
    session.flush()
    report = ingest.process_receipt(session, rt, receipt.id)
    plan.action = Action.REPROCESS
    plan.note = f"{was} -> {report.status}" + (f": {report.detail}" if report.detail else "")
    for d in report.documents:
        plan.documents[d.document_id] = d.status
    if was is db.ReceiptStatus.DEAD_LETTER:
        DeadLetterRepository(session).resolve(
            db.DeadLetterKind.RECEIPT, receipt.id, f"replayed by {actor}", at=rt.clock.now()
        )


def _correct(
    session: Session,
    rt: Runtime,
    receipt: db.Receipt,
    plan: ReceiptPlan,
    outcomes: Sequence[DocumentOutcome],
    stored: dict[str, db.Document],
) -> None:
    now = rt.clock.now()
    applier = Applier(
        session, correlation_id=receipt.correlation_id or receipt.id, now=now, partners=rt.partners
    )
    for outcome in outcomes:
        doc = stored.get(outcome.document_id)
        if doc is None:
            plan.documents[outcome.document_id] = "not stored (its interchange was a duplicate or unknown)"
            continue
        partner_id = doc.partner_id or ""
        if partner_id not in rt.partners:
            plan.documents[doc.id] = f"partner {partner_id} is not configured"
            continue
        partner = rt.partners.get(partner_id)
        if outcome.is_test and partner.mode is not Mode.TEST:
            plan.documents[doc.id] = "test document: production state is never changed"
            continue
        if outcome.skipped is not None or outcome.rejected:
            plan.documents[doc.id] = "still skipped" if outcome.skipped else "still rejected"
            continue
        terms = correlation.PartnerTerms.from_config(partner)
        if doc.status in (db.DocumentStatus.SKIPPED, db.DocumentStatus.FAILED):
            for event in outcome.events:
                _apply(applier, event, terms)
                plan.events.append(_change(doc.id, event, None, "added"))
            applier.resolve_cases(
                [(ExceptionType.DOCUMENT_REJECTED, cases.document_subject(doc.id))],
                note="mapped by a replay",
            )
            DocumentRepository(session).set_status(
                doc.id, db.DocumentStatus.CORRELATED, issues=outcome.issues, at=now
            )
            plan.documents[doc.id] = f"{doc.status} -> correlated"
            continue
        if doc.status is not db.DocumentStatus.CORRELATED:
            plan.documents[doc.id] = f"{doc.status}: left alone"
            continue
        plan.documents[doc.id] = _correct_document(session, applier, terms, doc, outcome.events, plan)
    changed = any(v == "corrected" or v.endswith("-> correlated") for v in plan.documents.values())
    plan.action = Action.CORRECT if changed else Action.UNCHANGED


def _correct_document(
    session: Session,
    applier: Applier,
    terms: correlation.PartnerTerms,
    doc: db.Document,
    new_events: Sequence[MappedEvent],
    plan: ReceiptPlan,
) -> str:
    old = _stored_events(session, doc.id)
    new = {_key(e): e for e in new_events}
    # A shipment a newer document has replaced since is not this document's to change: its old
    # version is not kept, and whatever the new map reads, the newer document stays.
    held_by_newer = {
        k
        for k, e in new.items()
        if k not in old and isinstance(e, canonical.Shipment) and _superseded_by(session, applier, e, doc.id)
    }
    if {k: _dump(e) for k, e in old.items()} == {
        k: _dump(e) for k, e in new.items() if k not in held_by_newer
    }:
        return "unchanged"
    revision = 1 + max((_revision(e) for e in old.values()), default=0)
    changed = False
    for key, event in new.items():
        before = old.get(key)
        if before is not None and _dump(before) == _dump(event):
            continue
        bumped = _with_revision(event, revision)
        superseded = _superseded_by(session, applier, bumped, doc.id)
        if superseded is not None:
            plan.events.append(_change(doc.id, event, before, "superseded", note=superseded))
            continue
        _apply(applier, bumped, terms)
        plan.events.append(_change(doc.id, event, before, "changed" if before is not None else "added"))
        changed = True
    for key, event in old.items():
        if key in new:
            continue
        if isinstance(event, canonical.Shipment):
            current = ShipmentRepository(session).get(event.partner_id, event.shipment_id)
            if current is not None and current.document_id == doc.id and not current.is_deleted:
                tombstone = event.model_copy(
                    update={
                        "purpose": canonical.ShipmentPurpose.DELETE,
                        "version": event.version.model_copy(update={"revision": revision}),
                    }
                )
                _apply(applier, tombstone, terms)
                plan.events.append(_change(doc.id, event, event, "removed"))
                changed = True
                continue
        plan.events.append(_change(doc.id, event, event, "not_retracted"))
    return "corrected" if changed else "unchanged"


def _superseded_by(session: Session, applier: Applier, event: MappedEvent, document_id: str) -> str | None:
    """Why applying this corrected event would be stale: a genuinely newer document holds it."""
    if isinstance(event, canonical.Shipment):
        row = ShipmentRepository(session).get(event.partner_id, event.shipment_id)
        if row is None or row.document_id == document_id:
            return None
        held = canonical.VersionStamp(
            issued_at=row.version_issued_at, sequence=row.version_sequence, revision=row.version_revision
        )
        return f"document {row.document_id} is newer" if held.is_newer_than(event.version) else None
    if isinstance(event, canonical.Commitment) and event.line_number is not None:
        state = applier.orders.state(event.po_number, partner_id=event.partner_id)
        ledger = state.ledgers.get(event.line_number) if state is not None else None
        if (
            ledger is None
            or ledger.commitment_version is None
            or ledger.commitment_document_id == document_id
        ):
            return None
        if ledger.commitment_version.is_newer_than(event.version):
            return f"document {ledger.commitment_document_id} is newer"
    return None


def _apply(applier: Applier, event: MappedEvent, terms: correlation.PartnerTerms) -> None:
    if isinstance(event, canonical.Commitment):
        applier.commitment(event, terms)
    elif isinstance(event, canonical.Shipment):
        applier.shipment(event, terms)
    elif isinstance(event, canonical.FunctionalAck):
        applier.functional_ack(event)
    elif isinstance(event, canonical.PurchaseOrder):
        applier.purchase_order(event)


def _stored_events(session: Session, document_id: str) -> dict[str, MappedEvent]:
    """The events this document's latest application left: its commitments (the highest revision of
    each), its current shipments, its 997 events."""
    found: dict[str, MappedEvent] = {}
    commitments: dict[str, canonical.Commitment] = {}
    for row in CommitmentRepository(session).for_document(document_id):
        c = CommitmentRepository.canonical(row).model_copy(
            update={
                "version": canonical.VersionStamp(
                    issued_at=row.version_issued_at,
                    sequence=row.version_sequence,
                    source=CommitmentRepository.canonical(row).version.source,
                    revision=row.version_revision,
                )
            }
        )
        key = _key(c)
        if key not in commitments or _revision(c) >= _revision(commitments[key]):
            commitments[key] = c
    found.update(commitments)
    for shipment in session.scalars(select(db.Shipment).where(db.Shipment.document_id == document_id)):
        if not shipment.is_deleted:
            event = canonical.Shipment.model_validate(shipment.payload)
            found[_key(event)] = event
    acks = session.scalars(
        select(db.OutboxEvent).where(
            db.OutboxEvent.document_id == document_id,
            db.OutboxEvent.type == EventType.FUNCTIONAL_ACK_RECEIVED,
        )
    )
    for ev in acks:
        ack = canonical.FunctionalAck.model_validate(ev.payload)
        found[_key(ack)] = ack
    return found


def _key(event: MappedEvent) -> str:
    if isinstance(event, canonical.Commitment):
        return f"commitment PO {event.po_number} line {event.line_number or '(header)'}"
    if isinstance(event, canonical.Shipment):
        return f"shipment {event.shipment_id}"
    if isinstance(event, canonical.FunctionalAck):
        return f"997 for group {event.functional_id} {event.group_control_number}"
    return f"purchase order {event.po_number}"


def _revision(event: MappedEvent) -> int:
    version = getattr(event, "version", None)
    return version.revision if isinstance(version, canonical.VersionStamp) else 0


def _with_revision(event: MappedEvent, revision: int) -> MappedEvent:
    version = getattr(event, "version", None)
    if not isinstance(version, canonical.VersionStamp):
        return event
    return event.model_copy(update={"version": version.model_copy(update={"revision": revision})})


def _dump(event: MappedEvent) -> dict[str, Any]:
    """An event as compared: its JSON without the replay revision."""
    data = event.model_dump(mode="json")
    if isinstance(data.get("version"), dict):
        data["version"].pop("revision", None)
    return data


def _change(
    document_id: str, event: MappedEvent, before: MappedEvent | None, change: str, *, note: str | None = None
) -> EventChange:
    after_data = _dump(event) if change not in ("removed", "not_retracted") else None
    before_data = _dump(before) if before is not None else None
    fields: list[str] = []
    if before_data is not None and after_data is not None:
        fields = sorted(
            k for k in set(before_data) | set(after_data) if before_data.get(k) != after_data.get(k)
        )
    if note:
        fields.append(note)
    return EventChange(
        document_id=document_id,
        kind=str(getattr(event, "type", "purchase_order")),
        key=_key(event),
        change=change,
        fields=fields,
        before=before_data,
        after=after_data,
    )


def _touched_pos(
    session: Session, outcomes: Sequence[DocumentOutcome], stored: Sequence[db.Document]
) -> set[tuple[str, str]]:
    """(partner, PO number) pairs the old and new events of these documents name."""
    pos: set[tuple[str, str]] = set()
    for outcome in outcomes:
        for event in outcome.events:
            pos |= _pos_of(event)
    for doc in stored:
        for event in _stored_events(session, doc.id).values():
            pos |= _pos_of(event)
    return pos


def _pos_of(event: MappedEvent) -> set[tuple[str, str]]:
    if isinstance(event, canonical.Commitment | canonical.PurchaseOrder):
        return {(event.partner_id, event.po_number)}
    if isinstance(event, canonical.Shipment):
        return {(event.partner_id, line.po_number) for line in event.lines}
    return set()


class _Watch:
    """Before/after of the ledger lines of some POs, and what the outbox and the cases got."""

    def __init__(self, session: Session, pos: set[tuple[str, str]]) -> None:
        self.pos = pos
        self.before = _ledger_lines(session, pos)
        self.cursor = int(session.scalar(select(func.max(db.OutboxEvent.cursor))) or 0)

    def finish(self, plan: ReceiptPlan, session: Session) -> None:
        session.flush()
        events = session.scalars(select(db.OutboxEvent).where(db.OutboxEvent.cursor > self.cursor)).all()
        for ev in events:
            plan.feed_events[str(ev.type)] = plan.feed_events.get(str(ev.type), 0) + 1
            if ev.type is EventType.EXCEPTION_OPENED:
                plan.exceptions_opened.append(f"{ev.payload.get('type')} {ev.payload.get('subject')}")
            elif ev.type is EventType.EXCEPTION_RESOLVED:
                plan.exceptions_resolved.append(f"{ev.payload.get('type')} {ev.payload.get('subject')}")
        pos = self.pos | {
            (str(ev.partner_id), str(ev.payload["po_number"]))
            for ev in events
            if ev.partner_id and isinstance(ev.payload.get("po_number"), str)
        }
        after = _ledger_lines(session, pos)
        for key in sorted(set(self.before) | set(after)):
            b, a = self.before.get(key, {}), after.get(key, {})
            fields = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            if fields:
                plan.lines.append(
                    LineChange(
                        partner_id=key[0],
                        po_number=key[1],
                        line_number=key[2],
                        fields=fields,
                        before=b,
                        after=a,
                    )
                )


def _ledger_lines(session: Session, pos: set[tuple[str, str]]) -> dict[tuple[str, str, str], dict[str, Any]]:
    out: dict[tuple[str, str, str], dict[str, Any]] = {}
    for partner_id, po_number in sorted(pos):
        query = (
            select(db.PurchaseOrderLine)
            .join(db.PurchaseOrder)
            .where(db.PurchaseOrder.partner_id == partner_id, db.PurchaseOrder.po_number == po_number)
            .execution_options(populate_existing=True)
        )
        for line in session.scalars(query):
            out[(partner_id, po_number, line.line_number)] = {
                "ordered": _num(line.quantity),
                "ack_status": line.ack_status,
                "committed_quantity": _num(line.committed_quantity),
                "committed_on": line.committed_on.isoformat() if line.committed_on else None,
                "committed_price": _num(line.committed_price),
                "shipped": _num(line.shipped_quantity),
                "received": _num(line.received_quantity),
            }
    return out


def _num(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


# ------------------------------------------------------------------------ dead-lettered deliveries


def _requeue_deliveries(rt: Runtime, *, apply: bool, actor: str) -> list[ReceiptPlan]:
    """Dead-lettered outbound messages and webhook deliveries: queued again from attempt one."""
    plans: list[ReceiptPlan] = []
    now = rt.clock.now()
    with rt.sessionmaker() as session:
        letters = DeadLetterRepository(session)
        for letter in letters.list(limit=MAX_RECEIPTS):
            if letter.kind is db.DeadLetterKind.RECEIPT:
                continue
            plan = ReceiptPlan(
                receipt_id=letter.item_id,
                partner_id=letter.partner_id,
                status="dead_letter",
                action=Action.REQUEUE,
                note=f"{letter.kind}: {letter.reason}",
            )
            if letter.kind is db.DeadLetterKind.OUTBOUND_MESSAGE:
                message = session.get(db.OutboundMessage, letter.item_id)
                if message is None:
                    continue
                message.status, message.attempts = db.OutboundStatus.QUEUED, 0
                message.next_attempt_at, message.last_error = now, None
                rt.jobs.enqueue_after_commit(
                    session, delivery.DELIVER_JOB, message.id, key=f"replay-{now.timestamp()}"
                )
            else:
                row = session.get(db.WebhookDelivery, int(letter.item_id))
                if row is None:
                    continue
                row.status, row.attempts, row.next_attempt_at = db.DeliveryStatus.PENDING, 0, now
            letters.resolve(letter.kind, letter.item_id, f"queued again by {actor}", at=now)
            plans.append(plan)
        if apply:
            session.commit()
        else:
            session.rollback()
    return plans
