"""Exception cases: open (or touch) without ever duplicating an active case, and their lifecycle.

An active case is OPEN or ACKNOWLEDGED. The partial unique index on (type, subject) over active
cases makes a second one impossible even between concurrent writers: `open_or_touch` inserts in a
SAVEPOINT and, if another transaction won the race, touches the winner instead.
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, exists, func, literal, or_, select, type_coerce
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError

from gateway import canonical
from gateway.canonical.exceptions import ExceptionStatus, ExceptionType, OwnerRole, Severity
from gateway.errors import ConflictError, NotFoundError
from gateway.store import models as db
from gateway.store.repositories.base import Repository

ACTIVE = (ExceptionStatus.OPEN, ExceptionStatus.ACKNOWLEDGED)
SYSTEM = "system"


class ExceptionRepository(Repository):
    def open_or_touch(
        self, case: canonical.ExceptionCase, *, actor: str = SYSTEM, at: dt.datetime | None = None
    ) -> tuple[db.ExceptionCase, bool]:
        """Open a case, or refresh the active case of the same (type, subject) with the new facts.
        Returns the row and whether it was created."""
        now = self._now(at)
        row = self.find_active(case.type, case.subject)
        if row is not None:
            self._touch(row, case, actor, now)
            return row, False
        row = db.ExceptionCase(
            type=case.type,
            subject=case.subject,
            partner_id=case.partner_id,
            po_number=case.po_number,
            line_number=case.line_number,
            severity=case.severity,
            owner=case.owner,
            status=ExceptionStatus.OPEN,
            expected=case.expected,
            actual=case.actual,
            message=case.message,
            document_id=case.document_id,
            impacted_production_orders=list(case.impacted_production_orders),
            details=dict(case.details),
            opened_at=case.opened_at or now,
            updated_at=now,
        )
        try:
            with self.session.begin_nested():
                self.session.add(row)
                self.session.flush()
        except IntegrityError:
            # Another transaction opened the same case first (the partial unique index said no).
            winner = self.find_active(case.type, case.subject)
            if winner is None:
                raise
            self._touch(winner, case, actor, now)
            return winner, False
        self._history(row, actor, "opened", case.message, now)
        return row, True

    def _touch(
        self, row: db.ExceptionCase, case: canonical.ExceptionCase, actor: str, now: dt.datetime
    ) -> None:
        changes = {
            "severity": case.severity,
            "expected": case.expected,
            "actual": case.actual,
            "message": case.message,
            "document_id": case.document_id or row.document_id,
            "impacted_production_orders": list(case.impacted_production_orders),
            "details": dict(case.details),
        }
        changed = [name for name, value in changes.items() if getattr(row, name) != value]
        for name in changed:
            setattr(row, name, changes[name])
        row.updated_at = now
        if changed:
            self._history(row, actor, "updated", f"changed: {', '.join(changed)}", now)
        self.session.flush()

    def find_active(self, type: ExceptionType, subject: str) -> db.ExceptionCase | None:
        query = select(db.ExceptionCase).where(
            db.ExceptionCase.type == type,
            db.ExceptionCase.subject == subject,
            db.ExceptionCase.status.in_(ACTIVE),
        )
        return self.session.scalars(query).one_or_none()

    def active_ending_with(self, type: ExceptionType, suffix: str) -> Sequence[db.ExceptionCase]:
        """Active cases of a type whose subject ends with `suffix` (taken literally, no wildcards)."""
        query = select(db.ExceptionCase).where(
            db.ExceptionCase.type == type,
            db.ExceptionCase.status.in_(ACTIVE),
            db.ExceptionCase.subject.endswith(suffix, autoescape=True),
        )
        return self.session.scalars(query.order_by(db.ExceptionCase.id)).all()

    def get(self, case_id: int) -> db.ExceptionCase | None:
        return self.session.get(db.ExceptionCase, case_id)

    def require(self, case_id: int) -> db.ExceptionCase:
        row = self.get(case_id)
        if row is None:
            raise NotFoundError(f"exception {case_id} does not exist")
        return row

    def resolve(
        self,
        type: ExceptionType,
        subject: str,
        *,
        actor: str,
        note: str | None = None,
        auto: bool = False,
        at: dt.datetime | None = None,
    ) -> db.ExceptionCase | None:
        """Resolve the active case of (type, subject), if there is one (None otherwise)."""
        row = self.find_active(type, subject)
        if row is None:
            return None
        return self._close(row, actor, note, auto, self._now(at))

    def auto_resolve(
        self, type: ExceptionType, subject: str, *, note: str | None = None, at: dt.datetime | None = None
    ) -> db.ExceptionCase | None:
        """The rule that opened the case no longer fires: resolve it as `auto_resolved`."""
        return self.resolve(type, subject, actor=SYSTEM, note=note, auto=True, at=at)

    def resolve_case(
        self, case_id: int, *, actor: str, note: str | None = None, at: dt.datetime | None = None
    ) -> db.ExceptionCase:
        """A person resolves a case by id. Resolving a closed case is a `ConflictError`."""
        row = self.require(case_id)
        if row.status not in ACTIVE:
            raise ConflictError(f"exception {case_id} is already {row.status}")
        return self._close(row, actor, note, False, self._now(at))

    def acknowledge(
        self, case_id: int, *, actor: str, note: str | None = None, at: dt.datetime | None = None
    ) -> db.ExceptionCase:
        """Someone took the case. Acknowledging an acknowledged case only adds the note; a closed
        case is a `ConflictError`."""
        row = self.require(case_id)
        if row.status not in ACTIVE:
            raise ConflictError(f"exception {case_id} is already {row.status}")
        now = self._now(at)
        row.status = ExceptionStatus.ACKNOWLEDGED
        row.updated_at = now
        self._history(row, actor, "acknowledged", note, now)
        self.session.flush()
        return row

    def add_note(
        self, case_id: int, *, actor: str, note: str, at: dt.datetime | None = None
    ) -> db.ExceptionHistory:
        row = self.require(case_id)
        now = self._now(at)
        row.updated_at = now
        entry = self._history(row, actor, "noted", note, now)
        self.session.flush()
        return entry

    def _close(
        self, row: db.ExceptionCase, actor: str, note: str | None, auto: bool, now: dt.datetime
    ) -> db.ExceptionCase:
        row.status = ExceptionStatus.AUTO_RESOLVED if auto else ExceptionStatus.RESOLVED
        row.resolved_at = now
        row.updated_at = now
        self._history(row, actor, str(row.status), note, now)
        self.session.flush()
        return row

    def _history(
        self, row: db.ExceptionCase, actor: str, action: str, note: str | None, now: dt.datetime
    ) -> db.ExceptionHistory:
        entry = db.ExceptionHistory(case_id=row.id, at=now, actor=actor, action=action, note=note)
        self.session.add(entry)
        if actor != SYSTEM:  # a person's change goes to the audit log too (the rules' own do not)
            self.session.add(
                db.AuditEntry(
                    at=now,
                    actor=actor[:128],
                    action=f"exception.{action}",
                    subject=f"exception:{row.id}",
                    detail={"type": str(row.type), "status": str(row.status), "note": note},
                )
            )
        self.session.flush()
        return entry

    def history(self, case_id: int) -> Sequence[db.ExceptionHistory]:
        query = select(db.ExceptionHistory).where(db.ExceptionHistory.case_id == case_id)
        return self.session.scalars(query.order_by(db.ExceptionHistory.id)).all()

    def list(
        self,
        *,
        status: ExceptionStatus | Iterable[ExceptionStatus] | None = None,
        partner_id: str | None = None,
        type: ExceptionType | None = None,
        owner: OwnerRole | None = None,
        po_number: str | None = None,
        opened_before: dt.datetime | None = None,
        opened_by: dt.datetime | None = None,
        severity: Severity | None = None,
        production_order: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Sequence[db.ExceptionCase]:
        """Oldest first (the queue order); `status` may be several (e.g. `ACTIVE`).
        `opened_before` is exclusive, `opened_by` inclusive (an age of at least N hours);
        `production_order`: cases naming it among their impacted production orders."""
        query = select(db.ExceptionCase)
        if severity is not None:
            query = query.where(db.ExceptionCase.severity == severity)
        if production_order is not None:
            query = query.where(self._impacting(production_order))
        if isinstance(status, ExceptionStatus):
            query = query.where(db.ExceptionCase.status == status)
        elif status is not None:
            query = query.where(db.ExceptionCase.status.in_(list(status)))
        if partner_id is not None:
            query = query.where(db.ExceptionCase.partner_id == partner_id)
        if type is not None:
            query = query.where(db.ExceptionCase.type == type)
        if owner is not None:
            query = query.where(db.ExceptionCase.owner == owner)
        if po_number is not None:
            query = query.where(db.ExceptionCase.po_number == po_number)
        if opened_before is not None:
            query = query.where(db.ExceptionCase.opened_at < opened_before)
        if opened_by is not None:
            query = query.where(db.ExceptionCase.opened_at <= opened_by)
        query = query.order_by(db.ExceptionCase.opened_at, db.ExceptionCase.id)
        return self.session.scalars(query.limit(limit).offset(offset)).all()

    def for_partner(
        self,
        partner_id: str,
        *,
        after_id: int = 0,
        status: ExceptionStatus | None = None,
        type: ExceptionType | None = None,
        po_number: str | None = None,
        exclude_types: Iterable[ExceptionType] = (),
        limit: int = 100,
    ) -> Sequence[db.ExceptionCase]:
        """One partner's cases by id after `after_id` (keyset pagination)."""
        query = select(db.ExceptionCase).where(
            db.ExceptionCase.partner_id == partner_id, db.ExceptionCase.id > after_id
        )
        excluded = list(exclude_types)
        if excluded:
            query = query.where(db.ExceptionCase.type.not_in(excluded))
        if status is not None:
            query = query.where(db.ExceptionCase.status == status)
        if type is not None:
            query = query.where(db.ExceptionCase.type == type)
        if po_number is not None:
            query = query.where(db.ExceptionCase.po_number == po_number)
        return self.session.scalars(query.order_by(db.ExceptionCase.id).limit(limit)).all()

    def production_risks(self, order_ids: Iterable[str]) -> dict[str, builtins.list[db.ExceptionCase]]:
        """The active production_at_risk cases of each production order (by the case subject
        `production:<order id>:item:<item>`), by id."""
        wanted = sorted(set(order_ids))
        if not wanted:
            return {}
        prefixes = [
            db.ExceptionCase.subject.startswith(f"production:{o}:item:", autoescape=True) for o in wanted
        ]
        query = select(db.ExceptionCase).where(
            db.ExceptionCase.type == ExceptionType.PRODUCTION_AT_RISK,
            db.ExceptionCase.status.in_(ACTIVE),
            or_(*prefixes),
        )
        found: dict[str, builtins.list[db.ExceptionCase]] = {o: [] for o in wanted}
        for row in self.session.scalars(query.order_by(db.ExceptionCase.id)):
            order_id = row.subject.removeprefix("production:").rsplit(":item:", 1)[0]
            if order_id in found:
                found[order_id].append(row)
        return found

    def for_document(self, document_id: str) -> Sequence[db.ExceptionCase]:
        """The cases a document opened (or last touched), by id."""
        query = select(db.ExceptionCase).where(db.ExceptionCase.document_id == document_id)
        return self.session.scalars(query.order_by(db.ExceptionCase.id)).all()

    def _impacting(self, order_id: str) -> ColumnElement[bool]:
        """`impacted_production_orders` (a JSON array) holds `order_id`: JSONB containment on
        PostgreSQL (exact element match), `json_each` on SQLite."""
        column = db.ExceptionCase.impacted_production_orders
        if self.session.get_bind().dialect.name == "postgresql":
            return type_coerce(column, postgresql.JSONB).contains([order_id])
        each = func.json_each(column).table_valued("value")
        return exists(select(literal(1)).select_from(each).where(each.c.value == order_id))

    @staticmethod
    def canonical(row: db.ExceptionCase) -> canonical.ExceptionCase:
        return canonical.ExceptionCase(
            type=row.type,
            severity=row.severity,
            partner_id=row.partner_id,
            subject=row.subject,
            po_number=row.po_number,
            line_number=row.line_number,
            expected=row.expected,
            actual=row.actual,
            message=row.message,
            owner=row.owner,
            document_id=row.document_id,
            impacted_production_orders=tuple(row.impacted_production_orders),
            status=row.status,
            opened_at=row.opened_at,
            details=dict(row.details),
        )
