"""Internal views for operators: read-only `/v1/dead-letters` and `/v1/audit-log` (scope
`procurement:read`), and `POST /v1/replays` and `POST /v1/admin/partners/reload` (scope
`partners:admin`; recorded in the audit log under the client's id)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from gateway.api import problems
from gateway.api.deps import DbSession, PartnersAdmin, ProcurementRead, RuntimeDep
from gateway.api.idempotency import IdempotentRoute
from gateway.api.oauth.tokens import Principal
from gateway.api.operations import schemas
from gateway.api.params import DEFAULT_LIMIT, Key, Limit, Offset, PartnerFilter, next_offset
from gateway.errors import InvalidRequestError
from gateway.pipeline import audit, replay
from gateway.store import models as db
from gateway.store.repositories.operations import AuditRepository, DeadLetterRepository

# Replays and reloads open their own transactions: with an Idempotency-Key on SQLite they wait for the
# key's write lock; on PostgreSQL they do not.
router = APIRouter(
    tags=["operations"], responses=problems.responses(401, 403, 429), route_class=IdempotentRoute
)


@router.get(
    "/v1/dead-letters",
    response_model=schemas.DeadLetterListRead,
    summary="Items that gave up after their last attempt (open ones unless `all`)",
    responses=problems.responses(422),
)
def list_dead_letters(
    _client: ProcurementRead,
    session: DbSession,
    kind: Annotated[db.DeadLetterKind | None, Query(description="Only this kind of item.")] = None,
    all: Annotated[bool, Query(description="Also those resolved (replayed) since.")] = False,
    partner_id: PartnerFilter = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> schemas.DeadLetterListRead:
    rows = DeadLetterRepository(session).list(
        kind=kind, open_only=not all, partner_id=partner_id, limit=limit + 1, offset=offset
    )
    return schemas.DeadLetterListRead(
        items=[schemas.DeadLetterRead.model_validate(r) for r in rows[:limit]],
        next_offset=next_offset(offset, limit, len(rows)),
    )


@router.get(
    "/v1/audit-log",
    response_model=schemas.AuditListRead,
    summary="Who or what changed an exception, reloaded the configuration, rotated a key or replayed",
    responses=problems.responses(422),
)
def list_audit_log(
    _client: ProcurementRead,
    session: DbSession,
    action: Annotated[Key | None, Query(description="An action, or a prefix such as `exception.*`.")] = None,
    subject: Annotated[str | None, Query(max_length=200, description="e.g. `exception:42`.")] = None,
    actor: Annotated[str | None, Query(max_length=128)] = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> schemas.AuditListRead:
    rows = AuditRepository(session).list(
        action=action, subject=subject, actor=actor, limit=limit + 1, offset=offset
    )
    return schemas.AuditListRead(
        items=[schemas.AuditEntryRead.model_validate(r) for r in rows[:limit]],
        next_offset=next_offset(offset, limit, len(rows)),
    )


@router.post(
    "/v1/admin/partners/reload",
    response_model=schemas.ConfigReloadRead,
    summary="Read partners/ and edi_maps/ again (this process); an invalid file changes nothing",
    responses=problems.responses(422),
)
async def reload_partners(
    client: PartnersAdmin, body: schemas.ConfigReloadCreate, runtime: RuntimeDep, session: DbSession
) -> schemas.ConfigReloadRead:
    actor = _actor(client, body.actor)
    _release(session)
    partners, maps = await run_in_threadpool(audit.reload_config, runtime, actor=actor)
    return schemas.ConfigReloadRead(partners=partners, maps=maps)


@router.post(
    "/v1/replays",
    response_model=replay.ReplayReport,
    summary="Re-derive events from the raw bytes with today's maps: the difference, applied with `apply`",
    responses=problems.responses(404, 422),
)
async def create_replay(
    client: PartnersAdmin, body: schemas.ReplayCreate, runtime: RuntimeDep, session: DbSession
) -> replay.ReplayReport:
    selection = replay.Selection(
        receipt_ids=body.receipt_ids,
        document_ids=body.document_ids,
        partner_id=body.partner_id,
        since=body.since,
        until=body.until,
        dead_letters=body.dead_letters,
    )
    if selection.empty():
        raise InvalidRequestError("name receipt_ids, document_ids, partner_id or dead_letters")
    actor = _actor(client, body.actor)
    _release(session)
    return await run_in_threadpool(replay.run, runtime, selection, apply=body.apply, actor=actor)


def _release(session: Session) -> None:
    """End the request's transaction (the token check's) before the work opens its own: on SQLite
    an open transaction holds the write lock, which the work's transactions would wait for."""
    session.commit()


def _actor(client: Principal, named: str) -> str:
    """Who did it: the authenticated client, and the person it names (`actor` in the body) if any."""
    return f"api:{client.client_id}" + (f" ({named})" if named and named != "api" else "")
