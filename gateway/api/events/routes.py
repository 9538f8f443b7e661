"""`/v1/events`: the outbox as a feed. Cursors only grow and appear in commit order, so a reader
that pages with `after=<next_cursor>` sees every event once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from gateway.api import problems
from gateway.api.deps import DbSession, EventsRead
from gateway.api.events import schemas
from gateway.api.params import DEFAULT_LIMIT, Limit
from gateway.store import repositories as repo

router = APIRouter(tags=["events"], responses=problems.responses(401, 403, 429))

After = Annotated[
    int, Query(ge=0, le=2**63 - 1, description="Events with a greater cursor (0: from the start).")
]


@router.get(
    "/v1/events",
    response_model=schemas.EventListRead,
    summary="Canonical events after a cursor, in cursor order",
    responses=problems.responses(422),
)
def list_events(
    session: DbSession, caller: EventsRead, after: After = 0, limit: Limit = DEFAULT_LIMIT
) -> schemas.EventListRead:
    rows = repo.OutboxRepository(session).list_after(after, limit)
    events = [repo.OutboxRepository.event(row) for row in rows]
    return schemas.EventListRead(items=events, next_cursor=events[-1].cursor if events else after)
