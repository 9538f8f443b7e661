"""What correlation returns, and the collector the rules write into."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from gateway.canonical.exceptions import ExceptionCase, ExceptionType
from gateway.correlation.ledger import LineLedger

LineKey = tuple[str, str]  # (po_number, line_number)
CaseKey = tuple[ExceptionType, str]  # (type, subject)


@dataclass(frozen=True)
class CorrelationResult:
    """The outcome of correlating one event; the pipeline stores it as it is.

    - `ledger_updates`: the new ledger of each changed line, keyed by (po_number, line_number);
      lines that did not change are absent.
    - `exceptions_to_open`: at most one per (type, subject); opening one that is already open is the
      pipeline's no-op (or refresh of expected/actual).
    - `exceptions_to_resolve`: (type, subject) pairs the new facts clear; never one that is also in
      `exceptions_to_open`. Resolving one that is not open is a no-op.
    - `resolve_scope`: set for shipments (`shipment:<id>`): every open case whose subject is the scope
      or starts with `<scope>:` and is not re-opened here is superseded by this version.
    - `stale`: the event was not newer than what the ledger holds and changed nothing.
    - `notes`: facts worth keeping on the event's history that are not exceptions.
    """

    ledger_updates: Mapping[LineKey, LineLedger] = field(default_factory=dict)
    exceptions_to_open: tuple[ExceptionCase, ...] = ()
    exceptions_to_resolve: tuple[CaseKey, ...] = ()
    stale: bool = False
    notes: tuple[str, ...] = ()
    resolve_scope: str | None = None

    def opened(self, type_: ExceptionType) -> tuple[ExceptionCase, ...]:
        """The cases of one type this result opens (a convenience for callers and tests)."""
        return tuple(c for c in self.exceptions_to_open if c.type is type_)


class Collector:
    """Accumulates one correlation's output; opening a case wins over resolving the same key."""

    def __init__(self) -> None:
        self.ledgers: dict[LineKey, LineLedger] = {}
        self._open: dict[CaseKey, ExceptionCase] = {}
        self._resolve: dict[CaseKey, None] = {}
        self.notes: list[str] = []

    def open(self, case: ExceptionCase) -> None:
        self._open.setdefault((case.type, case.subject), case)

    def resolve(self, type_: ExceptionType, subject: str) -> None:
        self._resolve[(type_, subject)] = None

    def note(self, text: str) -> None:
        self.notes.append(text)

    def update(self, after: LineLedger) -> None:
        """Record a line's new ledger. Every applied event changes at least its version stamp, so an
        update is never a no-op."""
        self.ledgers[(after.po_number, after.line_number)] = after

    def result(self, *, stale: bool = False, resolve_scope: str | None = None) -> CorrelationResult:
        return CorrelationResult(
            ledger_updates=dict(self.ledgers),
            exceptions_to_open=tuple(self._open.values()),
            exceptions_to_resolve=tuple(k for k in self._resolve if k not in self._open),
            stale=stale,
            notes=tuple(self.notes),
            resolve_scope=resolve_scope,
        )
