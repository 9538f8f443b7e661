"""Internal, read-only views for operators (`/v1/dead-letters`, `/v1/audit-log`) and the
configuration reload (`POST /v1/admin/partners/reload`, recorded in the audit log)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from gateway.api import problems
from gateway.api.deps import DbSession, RuntimeDep
from gateway.api.operations import schemas
from gateway.api.params import DEFAULT_LIMIT, Key, Limit, Offset, PartnerFilter, next_offset
from gateway.errors import InvalidRequestError
from gateway.pipeline import audit, replay
from gateway.store import models as db
from gateway.store.repositories.operations import AuditRepository, DeadLetterRepository

router = APIRouter(tags=["operations"])


@router.get(
    "/v1/dead-letters",
    response_model=schemas.DeadLetterListRead,
    summary="Items that gave up after their last attempt (open ones unless `all`)",
    responses=problems.responses(422),
)
def list_dead_letters(
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
async def reload_partners(body: schemas.ConfigReloadCreate, runtime: RuntimeDep) -> schemas.ConfigReloadRead:
    partners, maps = await run_in_threadpool(audit.reload_config, runtime, actor=body.actor)
    return schemas.ConfigReloadRead(partners=partners, maps=maps)


@router.post(
    "/v1/replays",
    response_model=replay.ReplayReport,
    summary="Re-derive events from the raw bytes with today's maps: the difference, applied with `apply`",
    responses=problems.responses(404, 422),
)
async def create_replay(body: schemas.ReplayCreate, runtime: RuntimeDep) -> replay.ReplayReport:
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
    return await run_in_threadpool(replay.run, runtime, selection, apply=body.apply, actor=body.actor)
