"""Exception cases: one active case per (type, subject), and their lifecycle."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.canonical.exceptions import ExceptionStatus, ExceptionType, OwnerRole, Severity
from gateway.errors import ConflictError
from gateway.store import models as db
from gateway.store import repositories as repo
from tests.store.builders import T0, make_case


def test_open_or_touch_creates_once_then_refreshes_the_same_case(session: Session) -> None:
    cases = repo.ExceptionRepository(session)
    row, created = cases.open_or_touch(make_case(actual="80"), at=T0)
    again, created_again = cases.open_or_touch(make_case(actual="70"), at=T0 + dt.timedelta(hours=1))
    assert (created, created_again) == (True, False)
    assert again.id == row.id
    assert (again.actual, again.opened_at, again.updated_at) == ("70", T0, T0 + dt.timedelta(hours=1))
    assert [h.action for h in cases.history(row.id)] == ["opened", "updated"]
    cases.open_or_touch(make_case(actual="70"))
    assert [h.action for h in cases.history(row.id)] == ["opened", "updated"]


def test_the_database_refuses_a_second_active_case_of_the_same_type_and_subject(session: Session) -> None:
    cases = repo.ExceptionRepository(session)
    row, _ = cases.open_or_touch(make_case())
    duplicate = db.ExceptionCase(
        type=row.type,
        subject=row.subject,
        partner_id="acme",
        severity=Severity.LOW,
        owner=OwnerRole.BUYER,
        status=ExceptionStatus.ACKNOWLEDGED,
        message="again",
        impacted_production_orders=[],
        details={},
        opened_at=T0,
        updated_at=T0,
    )
    session.add(duplicate)
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_a_resolved_case_lets_the_same_problem_open_a_new_case(session: Session) -> None:
    cases = repo.ExceptionRepository(session)
    first, _ = cases.open_or_touch(make_case())
    resolved = cases.resolve(ExceptionType.QUANTITY_SHORT, first.subject, actor="buyer@acme", note="agreed")
    assert resolved is first
    assert first.status is ExceptionStatus.RESOLVED
    assert first.resolved_at is not None
    second, created = cases.open_or_touch(make_case())
    assert created
    assert second.id != first.id
    assert cases.resolve(ExceptionType.DATE_LATE, first.subject, actor="x") is None


def test_auto_resolve_closes_as_auto_resolved_with_history(session: Session) -> None:
    cases = repo.ExceptionRepository(session)
    row, _ = cases.open_or_touch(make_case())
    cases.auto_resolve(row.type, row.subject, note="new 855 commits 100")
    assert row.status is ExceptionStatus.AUTO_RESOLVED
    assert [(h.actor, h.action, h.note) for h in cases.history(row.id)][-1] == (
        "system",
        "auto_resolved",
        "new 855 commits 100",
    )
    assert cases.find_active(row.type, row.subject) is None


def test_acknowledge_and_notes_keep_the_case_active(session: Session) -> None:
    cases = repo.ExceptionRepository(session)
    row, _ = cases.open_or_touch(make_case())
    cases.acknowledge(row.id, actor="buyer@acme")
    cases.add_note(row.id, actor="buyer@acme", note="called the supplier")
    again, created = cases.open_or_touch(make_case())
    assert (again.id, created, again.status) == (row.id, False, ExceptionStatus.ACKNOWLEDGED)
    cases.resolve_case(row.id, actor="buyer@acme")
    with pytest.raises(ConflictError):
        cases.acknowledge(row.id, actor="buyer@acme")
    with pytest.raises(ConflictError):
        cases.resolve_case(row.id, actor="buyer@acme")
    assert [h.action for h in cases.history(row.id)] == ["opened", "acknowledged", "noted", "resolved"]


def test_list_filters_by_status_type_owner_and_partner(session: Session) -> None:
    cases = repo.ExceptionRepository(session)
    short, _ = cases.open_or_touch(make_case("po:1:line:1"), at=T0)
    late, _ = cases.open_or_touch(make_case("po:1:line:2", type=ExceptionType.DATE_LATE), at=T0)
    other, _ = cases.open_or_touch(
        make_case("document:x", type=ExceptionType.DOCUMENT_REJECTED, partner_id="borealis"), at=T0
    )
    cases.resolve_case(late.id, actor="x")
    # The API tests commit their cases to the same per-worker database: look at this test's only.
    mine = {short.id, late.id, other.id}

    def ids(found: Sequence[db.ExceptionCase]) -> list[int]:
        return [c.id for c in found if c.id in mine]

    assert ids(cases.list(status=repo.cases.ACTIVE, limit=10_000)) == [short.id, other.id]
    assert ids(cases.list(owner=OwnerRole.INTEGRATION_OPERATIONS, limit=10_000)) == [other.id]
    assert ids(cases.list(partner_id="acme", type=ExceptionType.DATE_LATE)) == [late.id]
    assert ids(cases.list(status=ExceptionStatus.RESOLVED, limit=10_000)) == [late.id]
    assert cases.canonical(short) == make_case("po:1:line:1").model_copy(update={"opened_at": T0})
