"""Reconciliation: an ERP snapshot of PO-line states against the gateway's ledger.

The snapshot is JSON, either a list of lines or `{"lines": [...]}` (other top-level keys, such as
`generated_at`, are ignored); each line has `partner_id`, `po_number`, `line_number`, `ordered`,
`received`, `open` and `unit`. Every difference is a `Variance`:

- `missing_in_gateway`: the ERP has the line, the gateway does not;
- `missing_in_erp`: the gateway has the line, the ERP does not;
- `unit`: both have it in different units (quantities are then not compared: converting would
  hide the real problem, a PO imported with the wrong unit);
- `ordered`, `received`, `open`: the quantities differ.

The gateway's `open` is the ERP's meaning of it: ordered minus received, never below zero, and
zero for a cancelled line. (The API's `open_quantity` is ordered minus *shipped*: what the
supplier still owes, a different question.)

`compare` is pure; `reconcile` reads the ledger in the caller's session and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from gateway.canonical import EventType
from gateway.errors import GatewayError
from gateway.store.repositories.erp import PurchaseOrderRepository
from gateway.store.repositories.messaging import OutboxRepository

JOB = "reconcile.run"
_PAGE = 500


class SnapshotError(GatewayError):
    status = 422
    type = "/problems/invalid-erp-snapshot"
    title = "The ERP snapshot cannot be read"


class LineState(BaseModel):
    """One PO line as the ERP (or the gateway) sees it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    partner_id: str
    po_number: str
    line_number: str
    ordered: Decimal
    received: Decimal
    open: Decimal
    unit: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.partner_id, self.po_number, self.line_number)


_lines_adapter: TypeAdapter[list[LineState]] = TypeAdapter(list[LineState])


def parse_snapshot(data: bytes) -> list[LineState]:
    """The lines of a snapshot; raises `SnapshotError` naming what is wrong."""
    try:
        raw: Any = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"not JSON: {exc}") from exc
    if isinstance(raw, dict):
        raw = raw.get("lines")
    if not isinstance(raw, list):
        raise SnapshotError('a snapshot is a list of lines or an object with "lines"')
    try:
        lines = _lines_adapter.validate_python(raw)
    except ValidationError as exc:
        raise SnapshotError(f"invalid line: {exc}") from exc
    seen: set[tuple[str, str, str]] = set()
    for line in lines:
        if line.key in seen:
            raise SnapshotError(f"line {'/'.join(line.key)} appears twice")
        seen.add(line.key)
    return lines


class VarianceKind(StrEnum):
    MISSING_IN_GATEWAY = "missing_in_gateway"
    MISSING_IN_ERP = "missing_in_erp"
    UNIT = "unit"
    ORDERED = "ordered"
    RECEIVED = "received"
    OPEN = "open"


@dataclass(frozen=True)
class Variance:
    kind: VarianceKind
    partner_id: str
    po_number: str
    line_number: str
    erp: str | None  # the ERP's value, as text (None when the ERP lacks the line)
    gateway: str | None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "kind": str(self.kind),
            "partner_id": self.partner_id,
            "po_number": self.po_number,
            "line_number": self.line_number,
            "erp": self.erp,
            "gateway": self.gateway,
        }


@dataclass(frozen=True)
class Report:
    erp_lines: int
    gateway_lines: int
    variances: tuple[Variance, ...]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for v in self.variances:
            out[str(v.kind)] = out.get(str(v.kind), 0) + 1
        return out


def _line_order(key: tuple[str, str, str]) -> tuple[str, str, int, str]:
    partner, po, line = key
    return (partner, po, len(line), line)


def _fmt(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def compare(erp: list[LineState], gateway: list[LineState]) -> Report:
    """Every variance between the two views, ordered by partner, PO and line."""
    erp_by_key = {line.key: line for line in erp}
    gw_by_key = {line.key: line for line in gateway}
    variances: list[Variance] = []
    for key in sorted(erp_by_key.keys() | gw_by_key.keys(), key=_line_order):
        theirs, ours = erp_by_key.get(key), gw_by_key.get(key)
        if ours is None:
            assert theirs is not None
            variances.append(Variance(VarianceKind.MISSING_IN_GATEWAY, *key, _summary(theirs), None))
            continue
        if theirs is None:
            variances.append(Variance(VarianceKind.MISSING_IN_ERP, *key, None, _summary(ours)))
            continue
        if theirs.unit != ours.unit:
            variances.append(Variance(VarianceKind.UNIT, *key, theirs.unit, ours.unit))
            continue
        for kind, a, b in (
            (VarianceKind.ORDERED, theirs.ordered, ours.ordered),
            (VarianceKind.RECEIVED, theirs.received, ours.received),
            (VarianceKind.OPEN, theirs.open, ours.open),
        ):
            if a != b:
                variances.append(Variance(kind, *key, f"{_fmt(a)} {theirs.unit}", f"{_fmt(b)} {ours.unit}"))
    return Report(erp_lines=len(erp), gateway_lines=len(gateway), variances=tuple(variances))


def _summary(line: LineState) -> str:
    return f"ordered {_fmt(line.ordered)}, received {_fmt(line.received)}, open {_fmt(line.open)} {line.unit}"


def gateway_lines(session: Session) -> list[LineState]:
    """Every PO line of the gateway's ledger, as the ERP would report it."""
    orders = PurchaseOrderRepository(session)
    out: list[LineState] = []
    offset = 0
    while True:
        page = orders.list(with_lines=True, limit=_PAGE, offset=offset)
        for po in page:
            for line in po.lines:
                received = line.received_quantity
                open_ = Decimal(0) if line.cancelled else max(line.quantity - received, Decimal(0))
                out.append(
                    LineState(
                        partner_id=po.partner_id,
                        po_number=po.po_number,
                        line_number=line.line_number,
                        ordered=line.quantity,
                        received=received,
                        open=open_,
                        unit=line.unit,
                    )
                )
        if len(page) < _PAGE:
            return out
        offset += _PAGE


def reconcile(session: Session, snapshot: list[LineState]) -> Report:
    return compare(snapshot, gateway_lines(session))


def record_completion(session: Session, report: Report, *, snapshot: str, now: dt.datetime) -> int:
    """Append a `reconciliation.completed` event with the variance counts; returns its cursor."""
    return OutboxRepository(session).append(
        type=EventType.RECONCILIATION_COMPLETED,
        correlation_id=f"reconcile:{snapshot}:{now.isoformat()}",
        occurred_at=now,
        payload={
            "snapshot": snapshot,
            "erp_lines": report.erp_lines,
            "gateway_lines": report.gateway_lines,
            "variances": len(report.variances),
            "counts": report.counts(),
        },
        recorded_at=now,
    )
