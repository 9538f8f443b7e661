"""Request dependencies as `Annotated` aliases: a route's signature shows what it needs.

- `RuntimeDep`: the process's `Runtime` (engine, sessions, partners, maps, clock, jobs), built in the
  app's lifespan and kept in its lifespan state (or the one handed to `create_app`).
- `DbSession`: one session per request. It commits once when the route returns, before the response
  is sent (so a failed commit answers an error instead of a success), and rolls back if the route
  raises. Nothing a route calls commits.

No auth yet: `CurrentClient` and the scope guards arrive with the OAuth issue.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from gateway.pipeline.runtime import Runtime
from gateway.store.session import session_scope


def get_runtime(request: Request) -> Runtime:
    """The lifespan's `Runtime`; `app.state.runtime` when one was given to `create_app` and the
    lifespan has not run (an ASGI transport that skips lifespan events)."""
    runtime = getattr(request.state, "runtime", None) or getattr(request.app.state, "runtime", None)
    if not isinstance(runtime, Runtime):
        raise RuntimeError("no Runtime: the app's lifespan has not started")
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    with session_scope(runtime.sessionmaker) as session:
        yield session


# scope="function": the commit (after `yield`) runs when the route returns, before the response.
DbSession = Annotated[Session, Depends(get_session, scope="function")]
