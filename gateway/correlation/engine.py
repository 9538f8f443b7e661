"""Correlation entry points: a commitment or a shipment in, ledger updates and exception changes out.

Pure: the PO state, the partner's terms and the time come in as arguments; nothing is read or
written. The pipeline loads the state, calls one of these, and stores the `CorrelationResult`.

Newer wins. A commitment is applied to a line only when its version stamp is newer than the one
the line's ledger holds (a line-level commitment also replaces a header-level one of the same
stamp). A shipment is applied only when its stamp is newer than every version of the same shipment
id seen before. Otherwise the event is `stale` and changes nothing:

- an OLDER stamp (it arrived late) opens one low-severity `stale_update` case on `document:<id>`
  for integration operations, because out-of-order delivery is worth a look when it repeats;
- the SAME stamp (the same document again: a resend or a replay) opens nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal

from gateway.canonical.exceptions import ExceptionType
from gateway.canonical.models import Commitment, CommitmentStatus, Shipment, ShipmentPurpose, VersionStamp
from gateway.correlation import cases
from gateway.correlation.items import ItemIds
from gateway.correlation.ledger import CommitmentScope, Freshness, PurchaseOrderState
from gateway.correlation.match import LineMatch, MatchedBy, MatchOutcome, match_line
from gateway.correlation.result import Collector, CorrelationResult, LineKey
from gateway.correlation.rules import (
    Context,
    Figures,
    apply_commitment,
    evaluate_shipped,
    figures_as_ordered,
    read_commitment,
)
from gateway.correlation.terms import PartnerTerms

_AS_ORDERED = frozenset({CommitmentStatus.ACCEPTED, CommitmentStatus.ACCEPTED_WITH_CHANGES})


def correlate_commitment(
    c: Commitment, po: PurchaseOrderState | None, partner: PartnerTerms, now: dt.datetime
) -> CorrelationResult:
    """Apply a supplier's commitment to the PO it names.

    - No PO, or a PO of another partner (tenants are walls): `unknown_po` on `po:<po>`.
    - `line_number` None and no item given: a header-level commitment. Accepted (or accepted with
      changes, read as "lines not mentioned stand as ordered") commits every open line as ordered;
      rejected rejects every open line; backordered and pending are recorded on each line without
      evaluating a rule. Cancelled lines are left alone.
    - Otherwise the line is matched (see `match.match_line`) and every line rule is evaluated.

    Raises ValueError when `now` is naive or the commitment is from another partner than `partner`:
    both are caller bugs, not supplier problems.
    """
    _check_call(now, c.partner_id, partner)
    out = Collector()
    if po is None or po.po.partner_id != partner.partner_id:
        out.open(
            cases.make_case(
                ExceptionType.UNKNOWN_PO,
                partner_id=partner.partner_id,
                subject=cases.po_subject(c.po_number),
                message=f"commitment for PO {c.po_number}, which is not an open PO of this partner",
                now=now,
                po_number=c.po_number,
                line_number=c.line_number,
                expected=f"a PO of {partner.partner_id}",
                actual=f"PO {c.po_number}",
                document_id=c.document_id,
            )
        )
        return out.result()
    ctx = Context(terms=partner, now=now, document_id=c.document_id, currency=po.po.currency)
    ids = ItemIds(buyer_item=c.buyer_item, supplier_item=c.supplier_item)
    if c.line_number is None and ids.empty:
        return _header_commitment(c, po, ctx, out)
    m = match_line(po.po, c.line_number, ids, partner.items)
    if m.line is None or m.outcome is not MatchOutcome.MATCHED:
        _unmatched(m, c.po_number, c.line_number, ids, ctx, out, scope=None)
        return out.result()
    line = m.line
    ledger = po.ledger(line)
    freshness = ledger.commitment_freshness(c.version, CommitmentScope.LINE)
    if freshness is not Freshness.NEWER:
        return _stale(freshness, c.document_id, c.version, ledger.commitment_version, ctx, out)
    if m.matched_by is MatchedBy.ITEM:
        out.note(
            f"PO {c.po_number}: commitment matched line {line.line_number} by its item ({ids.describe()})"
        )
    figures = read_commitment(c, ledger, partner, line.buyer_item)
    out.update(apply_commitment(figures, ledger, c, CommitmentScope.LINE, ctx, out))
    return out.result()


def _header_commitment(
    c: Commitment, po: PurchaseOrderState, ctx: Context, out: Collector
) -> CorrelationResult:
    applied = 0
    newest_older: VersionStamp | None = None
    for line in po.po.lines:
        if line.cancelled:
            continue
        ledger = po.ledger(line)
        freshness = ledger.commitment_freshness(c.version, CommitmentScope.HEADER)
        if freshness is Freshness.OLDER:
            newest_older = ledger.commitment_version
            out.note(f"PO {c.po_number} line {line.line_number}: keeps its newer commitment")
        if freshness is not Freshness.NEWER:
            continue
        applied += 1
        if c.status in _AS_ORDERED:
            figures = figures_as_ordered(ledger, c.status)
        elif c.status is CommitmentStatus.REJECTED:
            figures = Figures(status=CommitmentStatus.REJECTED, rejected=True)
        else:
            out.note(
                f"PO {c.po_number} line {line.line_number}: {c.status} at header level; no rule evaluated"
            )
            after = ledger.model_copy(
                update={
                    "ack_status": c.status,
                    "commitment_version": c.version,
                    "commitment_scope": CommitmentScope.HEADER,
                    "commitment_document_id": c.document_id,
                }
            )
            out.update(after)
            continue
        out.update(apply_commitment(figures, ledger, c, CommitmentScope.HEADER, ctx, out))
    if applied:
        return out.result()
    if newest_older is not None:
        return _stale(Freshness.OLDER, c.document_id, c.version, newest_older, ctx, out)
    if any(not ln.cancelled for ln in po.po.lines):
        return _stale(Freshness.DUPLICATE, c.document_id, c.version, None, ctx, out)
    out.note(f"PO {c.po_number}: header-level commitment, but every line is cancelled")
    return out.result()


def correlate_shipment(
    s: Shipment,
    pos: Mapping[str, PurchaseOrderState],
    partner: PartnerTerms,
    now: dt.datetime,
    *,
    known_version: VersionStamp | None = None,
) -> CorrelationResult:
    """Apply a ship notice: its quantities per PO line replace the previous version's.

    `pos` must hold every PO the shipment names AND every PO an earlier version of the same shipment
    id touched (the pipeline finds those through its shipment index); a line of a passed PO that held
    this shipment id but is absent from the new version is set back to zero for it. POs of other
    partners are ignored (their lines read as unknown PO). `known_version` is the newest version of
    this shipment id the pipeline recorded outside the ledgers (a version that matched no line leaves
    no trace in any ledger); the ledgers' own record is always consulted too.

    - purpose `delete` removes the shipment's quantities everywhere and opens nothing new; the lines
      it names keep its version, so an original arriving after its own delete stays deleted;
    - several shipment lines for the same PO line (lots, packs) add up within the one shipment;
    - every line whose shipped quantities changed gets the shipped rules (`rules.evaluate_shipped`:
      over-shipment, shipment without commitment).

    Processing the same shipment twice gives `stale=True` and no change; any order of versions
    leaves each line with the sum over shipment ids of the newest version's quantity.
    """
    _check_call(now, s.partner_id, partner)
    out = Collector()
    states = {n: st for n, st in pos.items() if st.po.partner_id == partner.partner_id}
    newest = _newest_shipment_version(s.shipment_id, states.values(), known_version)
    if newest is not None and not s.version.is_newer_than(newest):
        freshness = Freshness.OLDER if newest.is_newer_than(s.version) else Freshness.DUPLICATE
        ctx = Context(terms=partner, now=now, document_id=s.document_id, currency="")
        return _stale(freshness, s.document_id, s.version, newest, ctx, out)
    deleting = s.purpose is ShipmentPurpose.DELETE
    # A delete still matches its lines, to leave its version on them (a tombstone) even when the
    # original has not arrived yet; the problems of a deleted notice's lines are nobody's work.
    touched = _shipped_quantities(s, states, partner, now, Collector() if deleting else out)
    quantities = {} if deleting else touched
    for st in states.values():
        ctx = Context(terms=partner, now=now, document_id=s.document_id, currency=st.po.currency)
        for line in st.po.lines:
            key = (st.po.po_number, line.line_number)
            existing = st.ledgers.get(line.line_number)
            held = existing is not None and s.shipment_id in existing.shipment_versions
            if key not in touched and not held:
                continue
            ledger = st.ledger(line)
            shipped = {k: v for k, v in ledger.shipped.items() if k != s.shipment_id}
            if key in quantities:
                shipped[s.shipment_id] = quantities[key]
            after = ledger.model_copy(
                update={
                    "shipped": shipped,
                    "shipment_versions": {**ledger.shipment_versions, s.shipment_id: s.version},
                }
            )
            out.update(after)
            evaluate_shipped(after, ctx, out)
    return out.result(resolve_scope=cases.shipment_scope(s.shipment_id))


def _newest_shipment_version(
    shipment_id: str, states: Iterable[PurchaseOrderState], known: VersionStamp | None
) -> VersionStamp | None:
    newest = known
    for st in states:
        for ledger in st.ledgers.values():
            v = ledger.shipment_versions.get(shipment_id)
            if v is not None and (newest is None or v.is_newer_than(newest)):
                newest = v
    return newest


def _shipped_quantities(
    s: Shipment,
    states: Mapping[str, PurchaseOrderState],
    partner: PartnerTerms,
    now: dt.datetime,
    out: Collector,
) -> dict[LineKey, Decimal]:
    """The shipment's quantity per matched PO line, in the line's unit; problems become cases."""
    quantities: dict[LineKey, Decimal] = {}
    for sl in s.lines:
        st = states.get(sl.po_number)
        ids = ItemIds(buyer_item=sl.buyer_item, supplier_item=sl.supplier_item, upc=sl.upc)
        m = match_line(st.po if st is not None else None, sl.line_number, ids, partner.items)
        ctx = Context(
            terms=partner, now=now, document_id=s.document_id, currency=st.po.currency if st else ""
        )
        if m.line is None or m.outcome is not MatchOutcome.MATCHED:
            _unmatched(m, sl.po_number, sl.line_number, ids, ctx, out, scope=s.shipment_id)
            continue
        line = m.line
        quantity = partner.converter.convert(sl.quantity, sl.unit, line.unit, line.buyer_item)
        if quantity is None:
            out.open(
                cases.make_case(
                    ExceptionType.UNIT_NOT_CONVERTIBLE,
                    partner_id=partner.partner_id,
                    subject=cases.shipment_subject(
                        s.shipment_id, cases.line_subject(sl.po_number, line.line_number)
                    ),
                    message=(
                        f"shipment {s.shipment_id}: no conversion from {sl.unit} to {line.unit} "
                        f"for PO {sl.po_number} line {line.line_number}; its quantity is not counted"
                    ),
                    now=now,
                    po_number=sl.po_number,
                    line_number=line.line_number,
                    expected=line.unit,
                    actual=cases.fmt_qty(sl.quantity, sl.unit),
                    document_id=s.document_id,
                )
            )
            continue
        if m.matched_by is MatchedBy.ITEM:
            out.note(
                f"shipment {s.shipment_id}: PO {sl.po_number} matched line {line.line_number} "
                f"by its item ({ids.describe()})"
            )
        key = (sl.po_number, line.line_number)
        quantities[key] = quantities.get(key, Decimal(0)) + quantity
    return quantities


# ---------------------------------------------------------------- shared


def _unmatched(
    m: LineMatch,
    po_number: str,
    line_number: str | None,
    ids: ItemIds,
    ctx: Context,
    out: Collector,
    *,
    scope: str | None,
) -> None:
    """Open the case for a failed match; `scope` is the shipment id for ship notice lines."""
    if m.outcome is MatchOutcome.UNKNOWN_PO:
        type_, rest = ExceptionType.UNKNOWN_PO, cases.po_subject(po_number)
        message, expected, actual = (
            f"PO {po_number} is not an open PO of this partner",
            None,
            f"PO {po_number}",
        )
    elif m.outcome is MatchOutcome.ITEM_MISMATCH and m.line is not None:
        type_, rest = ExceptionType.ITEM_MISMATCH, cases.line_subject(po_number, m.line.line_number)
        message = f"PO {po_number} line {m.line.line_number} orders {m.line.buyer_item}, not {ids.describe()}"
        expected, actual = m.line.buyer_item, ids.describe()
    else:
        type_, rest = ExceptionType.UNKNOWN_LINE, cases.unmatched_subject(po_number, line_number, ids)
        why = (
            "no open line has this item" if m.candidates == 0 else f"{m.candidates} open lines have this item"
        )
        named = f"line {line_number}" if line_number is not None else "no line number"
        message = f"PO {po_number}: {named} ({ids.describe()}) does not match a line: {why}"
        expected, actual = "a line of the PO", f"{named}, {ids.describe()}"
    what = "commitment" if scope is None else f"shipment {scope}"
    out.open(
        cases.make_case(
            type_,
            partner_id=ctx.terms.partner_id,
            subject=rest if scope is None else cases.shipment_subject(scope, rest),
            message=f"{what}: {message}",
            now=ctx.now,
            po_number=po_number,
            line_number=line_number,
            expected=expected,
            actual=actual,
            document_id=ctx.document_id,
        )
    )


def _stale(
    freshness: Freshness,
    document_id: str,
    version: VersionStamp,
    held: VersionStamp | None,
    ctx: Context,
    out: Collector,
) -> CorrelationResult:
    if freshness is Freshness.DUPLICATE:
        out.note(f"document {document_id}: version {_fmt_version(version)} already applied; nothing changed")
        return out.result(stale=True)
    held_text = _fmt_version(held) if held is not None else "?"
    out.note(f"document {document_id}: version {_fmt_version(version)} is older than {held_text}; ignored")
    out.open(
        cases.make_case(
            ExceptionType.STALE_UPDATE,
            partner_id=ctx.terms.partner_id,
            subject=cases.document_subject(document_id),
            message="an older version arrived after a newer one; recorded and ignored",
            now=ctx.now,
            expected=f"newer than {held_text}",
            actual=_fmt_version(version),
            document_id=document_id,
        )
    )
    return out.result(stale=True)


def _fmt_version(v: VersionStamp) -> str:
    return f"{v.issued_at.isoformat()} #{v.sequence}"


def _check_call(now: dt.datetime, partner_id: str, partner: PartnerTerms) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if partner_id != partner.partner_id:
        raise ValueError(
            f"event of partner {partner_id!r} correlated with the terms of {partner.partner_id!r}"
        )
