"""File-drop pick-up: every enabled partner's inbox, file by file, into intake.

    sweep(rt)                 one pass over the inboxes (and the claims a crash left behind)
    watch(rt, stop, report)   a sweep at start, on every change in an inbox, and every tick

Each file is claimed (renamed into `processing/`), read, and handed to `ingest.receive` (its bytes
are committed as a receipt before anything else, then processed). Then it moves:

- to `archive/` when it was stored and processed (or queued for processing);
- to `error/`, with a reason file beside it, when it cannot be processed: it cannot be read, it is
  not a document we read (the receipt failed), it comes from a sender no partner file names, or
  storing or processing it failed for a reason that will not pass by itself;
- back to `inbox/` when the database cannot be reached: nothing was stored, and the next sweep
  tries again.

The sender is the one the document's envelope names (as for any channel), so a file whose
interchange names no known partner is `unknown sender`, whichever inbox it was dropped in.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import exc as sa_exc

from gateway.channels import filedrop
from gateway.kit import ids
from gateway.partners.model import PartnerConfig
from gateway.pipeline import ingest, senders
from gateway.pipeline.runtime import Runtime
from gateway.store import models as db
from gateway.store.repositories.intake import InterchangeRepository, ReceiptRepository
from gateway.store.session import session_scope

log = logging.getLogger(__name__)
CHANNEL = "filedrop"
Outcome = Literal["archived", "error", "kept"]


@dataclass(frozen=True)
class PickUp:
    partner_id: str
    file_name: str
    outcome: Outcome  # archived, error (moved to error/), kept (left in the inbox to retry)
    path: str  # where the file is now
    receipt_id: str | None = None
    status: str | None = None  # the receipt's status
    reason: str | None = None


@dataclass
class SweepReport:
    at: dt.datetime
    pickups: list[PickUp] = field(default_factory=list)
    left_alone: list[tuple[str, str, str]] = field(default_factory=list)  # partner, file, why

    def count(self, outcome: Outcome) -> int:
        return sum(1 for p in self.pickups if p.outcome == outcome)


def mailboxes(rt: Runtime, partner_id: str | None = None) -> list[tuple[PartnerConfig, filedrop.Mailbox]]:
    """The file-drop mailboxes of the enabled partners (or of one partner)."""
    out = []
    for partner in rt.partners.all():
        if partner_id is not None and partner.id != partner_id:
            continue
        if partner.channels.filedrop is None or not partner.enabled:
            continue
        out.append((partner, filedrop.mailbox_for(rt.settings.data_dir, partner.channels.filedrop.root)))
    return out


def sweep(rt: Runtime, *, partner_id: str | None = None) -> SweepReport:
    """Pick up every ready file of every mailbox once."""
    settings = rt.settings.filedrop
    report = SweepReport(at=rt.clock.now())
    if partner_id is not None:
        rt.partners.get(partner_id)
    for partner, box in mailboxes(rt, partner_id):
        box.ensure()
        for stale in filedrop.stale_claims(box, stale_s=settings.stale_claim_s):
            taken = filedrop.retake(stale)
            if taken is not None:
                log.warning(
                    "file drop %s: taking back %s claimed by %s:%s",
                    partner.id,
                    taken.name,
                    stale.host,
                    stale.pid,
                )
                report.pickups.append(_pick_up(rt, partner, taken, recovered=True))
        ready, skipped = filedrop.scan(box, settle_s=settings.settle_s)
        report.left_alone.extend((partner.id, s.name, s.why) for s in skipped)
        for path in ready:
            taken = filedrop.claim(box, path)
            if taken is None:
                continue  # another poller was first
            report.pickups.append(_pick_up(rt, partner, taken, recovered=False))
    return report


def watch(
    rt: Runtime,
    *,
    stop: threading.Event,
    on_sweep: Callable[[SweepReport], None],
    partner_id: str | None = None,
) -> None:
    """Sweep at start, whenever an inbox changes, and every `interval_s`, until `stop` is set."""
    folders = [box.ensure().inbox for _, box in mailboxes(rt, partner_id)]
    if not folders:
        raise ValueError("no enabled partner has a file drop to watch")
    for _ in filedrop.watch(folders, stop=stop, tick_s=rt.settings.filedrop.interval_s):
        try:
            on_sweep(sweep(rt, partner_id=partner_id))
        except Exception:  # the loop's edge: log and go on watching
            log.exception("file drop sweep failed")


def _stamp(rt: Runtime) -> str:
    return rt.clock.now().strftime("%Y%m%dT%H%M%SZ")


def _unavailable(error: BaseException) -> bool:
    """The database cannot be reached (as opposed to refusing this data)."""
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.TimeoutError)


def _pick_up(rt: Runtime, partner: PartnerConfig, taken: filedrop.Claim, *, recovered: bool) -> PickUp:
    try:
        data = taken.path.read_bytes()
    except OSError as exc:
        return _error(rt, partner, taken, None, None, f"unreadable: cannot read the file: {exc}")
    try:
        if recovered:
            earlier = _earlier_receipt(rt, taken.name, data)
            if earlier is not None:
                return _settle(rt, partner, taken, earlier)
        try:
            senders.check_sender(rt.partners, partner.id, data, taken.name)
        except senders.SenderMismatchError as exc:
            # Kept in error/ unprocessed: a mailbox delivers for its own partner only.
            return _error(
                rt, partner, taken, None, None, f"sender mismatch: {exc} (this is {partner.id}'s mailbox)"
            )
        receipt_id: str = ids.new_receipt_id()
        try:
            ingest.receive(rt, data, channel=CHANNEL, file_name=taken.name, receipt_id=receipt_id)
        except Exception as exc:
            if _unavailable(exc) or not _stored(rt, receipt_id):
                raise
            log.exception(
                "file drop %s: %s was stored as %s but processing failed", partner.id, taken.name, receipt_id
            )
            return _error(
                rt, partner, taken, receipt_id, "received", f"processing failed: {type(exc).__name__}: {exc}"
            )
        return _settle(rt, partner, taken, receipt_id)
    except Exception as exc:
        if _unavailable(exc):
            path = filedrop.release(taken)
            log.warning(
                "file drop %s: database unavailable, %s left in the inbox: %s", partner.id, taken.name, exc
            )
            reason = f"database unavailable: {type(exc).__name__}"
            return PickUp(partner.id, taken.name, "kept", str(path), reason=reason)
        log.exception("file drop %s: %s could not be stored", partner.id, taken.name)
        return _error(rt, partner, taken, None, None, f"store failed: {type(exc).__name__}: {exc}")


def _stored(rt: Runtime, receipt_id: str) -> bool:
    with session_scope(rt.sessionmaker) as session:
        return ReceiptRepository(session).get(receipt_id) is not None


def _earlier_receipt(rt: Runtime, name: str, data: bytes) -> str | None:
    """The receipt of a file a crash interrupted after storing it (same name and bytes)."""
    with session_scope(rt.sessionmaker) as session:
        found = ReceiptRepository(session).find_by_sha256(ids.sha256_hex(data))
        if found is not None and found.channel == CHANNEL and found.file_name == name:
            return found.id
    return None


def _settle(rt: Runtime, partner: PartnerConfig, taken: filedrop.Claim, receipt_id: str) -> PickUp:
    """Archive a stored file, or move it to error/ when its receipt says it cannot be processed."""
    with session_scope(rt.sessionmaker) as session:
        receipt = ReceiptRepository(session).require(receipt_id)
        status, error, failed = str(receipt.status), receipt.error, receipt.status is db.ReceiptStatus.FAILED
        unknown = [
            i.sender for i in InterchangeRepository(session).for_receipt(receipt_id) if i.partner_id is None
        ]
    if failed:
        return _error(rt, partner, taken, receipt_id, status, f"unreadable: {error}")
    if unknown:
        return _error(
            rt,
            partner,
            taken,
            receipt_id,
            status,
            f"unknown sender: {', '.join(unknown)} (no partner file names it)",
        )
    path = filedrop.archive(taken, stamp=_stamp(rt), tag=receipt_id[:8])
    log.info("file drop %s: %s stored as receipt %s (%s)", partner.id, taken.name, receipt_id, status)
    return PickUp(partner.id, taken.name, "archived", str(path), receipt_id=receipt_id, status=status)


def _error(
    rt: Runtime,
    partner: PartnerConfig,
    taken: filedrop.Claim,
    receipt_id: str | None,
    status: str | None,
    reason: str,
) -> PickUp:
    lines = [
        ("reason", reason),
        ("file", taken.name),
        ("partner", partner.id),
        ("receipt", receipt_id or "none (the bytes were not stored)"),
        ("at", rt.clock.now().isoformat()),
    ]
    path, _ = filedrop.fail(taken, stamp=_stamp(rt), reason=lines)
    log.warning("file drop %s: %s moved to error/: %s", partner.id, taken.name, reason)
    return PickUp(
        partner.id, taken.name, "error", str(path), receipt_id=receipt_id, status=status, reason=reason
    )
