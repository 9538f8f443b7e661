"""What every repository shares: the session it works in, the clock, and small conversions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from gateway.formats.issues import Issue
from gateway.kit.clock import Clock, SystemClock

IssueLike = Issue | Mapping[str, Any]


class Repository:
    """Queries of one area. Works inside the caller's session and NEVER commits: the request, task or
    command that owns the session commits once (see `gateway.store.session.session_scope`).

    `clock` stamps bookkeeping times (`updated_at`, history entries) when the caller gives none.
    """

    def __init__(self, session: Session, clock: Clock | None = None) -> None:
        self.session = session
        self.clock: Clock = clock or SystemClock()

    def _now(self, at: dt.datetime | None = None) -> dt.datetime:
        return at if at is not None else self.clock.now()


def issue_dicts(issues: Iterable[IssueLike]) -> list[dict[str, Any]]:
    """Issues as the JSON the `issues` columns hold (`Issue.as_dict()` shape)."""
    return [issue.as_dict() if isinstance(issue, Issue) else dict(issue) for issue in issues]
