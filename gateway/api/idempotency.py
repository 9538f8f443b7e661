"""`Idempotency-Key` on every POST of the API: the same key and body again answers the first answer;
the same key with another body (or another operation) is 409. Keys are per client.

`IdempotentRoute` is the route class of every router with a POST. For a POST carrying the header it:

1. authenticates the caller (a request that fails authentication is left to the route's own 401);
2. opens the request's one session, looks the (client, key) record up: a stored answer is replayed
   (`Idempotent-Replayed: true`), or the request is refused with 409 when its fingerprint (method,
   path, query and body, SHA-256) differs;
3. otherwise claims the key in that session (a record without an answer yet), runs the route in the
   same session (`deps.DbSession` hands it over) and, on a 2xx, keeps the answer in the record
   before the one commit: the change and its answer commit together.

Two requests with the same key at the same time: on SQLite the second waits for the first's write
lock and then finds its answer; on PostgreSQL the second's claim waits on the first's uncommitted
record and fails once it commits, before the second has done anything, so it replays (or refuses).
An answer that is not a 2xx is not kept (an error raised rolls everything back; an error answer a
route commits with, such as unreadable EDI whose bytes are kept, releases the key): the key may be
used again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Coroutine, Sequence
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from gateway.api import problems
from gateway.api.deps import authenticate, get_authority, get_runtime, get_services
from gateway.api.oauth.tokens import Principal
from gateway.errors import AuthError, ConflictError
from gateway.pipeline.runtime import Runtime
from gateway.store import models as db
from gateway.store import repositories as repo
from gateway.store.session import session_scope

HEADER = "Idempotency-Key"
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"
_KEY = re.compile(KEY_PATTERN)
REPLAYED = "Idempotent-Replayed"


class IdempotencyKeyReusedError(ConflictError):
    type = "/problems/idempotency-key-reused"
    title = "Idempotency key reused"


def idempotency_key(
    key: Annotated[
        str | None,
        Header(
            alias=HEADER,
            pattern=KEY_PATTERN,
            description=(
                "Any unique string (a UUID): a retry with the same key and body gets the first answer "
                "again; the same key with another body is 409. Keys are per client."
            ),
        ),
    ] = None,
) -> str | None:
    """Declares and validates the header; `IdempotentRoute` acts on it."""
    return key


def fingerprint(request: Request, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.url.path.encode(), request.url.query.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _replay(record: db.IdempotencyRecord) -> Response:
    headers = {REPLAYED: "true"}
    return Response(
        content=record.body, status_code=record.status_code, media_type=record.content_type, headers=headers
    )


def principal_of(request: Request, runtime: Runtime) -> Principal:
    """The request's principal from its bearer token (`AuthError` when it has none or a bad one)."""
    authority = get_authority(runtime, get_services(request))
    with session_scope(runtime.sessionmaker) as session:
        return authenticate(request, session, runtime, authority)


class IdempotentRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        methods = {m.upper() for m in kwargs.get("methods") or ()}
        if "POST" in methods:
            dependencies: Sequence[Any] = kwargs.get("dependencies") or []
            kwargs["dependencies"] = [*dependencies, Depends(idempotency_key)]
            # 400: a body that cannot be parsed at all; 409: an Idempotency-Key reused.
            kwargs["responses"] = {**problems.responses(400, 409), **(kwargs.get("responses") or {})}
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            key = request.headers.get(HEADER)
            if request.method != "POST" or key is None or not _KEY.match(key):
                return await original(request)  # a malformed key is the route's 422
            runtime = get_runtime(request)
            body = await request.body()
            try:
                principal = await run_in_threadpool(principal_of, request, runtime)
            except AuthError:
                return await original(request)
            return await _idempotent(
                request, runtime, original, principal.client_id, key, fingerprint(request, body)
            )

        return handler


async def _idempotent(
    request: Request,
    runtime: Runtime,
    original: Callable[[Request], Coroutine[Any, Any, Response]],
    client_id: str,
    key: str,
    print_: str,
) -> Response:
    session: Session = runtime.sessionmaker()
    try:
        records = repo.IdempotencyRepository(session, runtime.clock)
        record = await run_in_threadpool(records.get, client_id, key)
        reserved = None
        if record is None:
            reserved = await run_in_threadpool(
                records.reserve,
                client_id=client_id,
                key=key,
                method=request.method,
                path=request.url.path,
                request_sha256=print_,
            )
            if reserved is None:  # a concurrent request with this key committed first
                record = await run_in_threadpool(records.get, client_id, key)
        if record is not None:
            # Built before the rollback, which expires the record: reading it afterwards would open
            # a transaction on the event loop's thread (on SQLite, waiting there for another
            # request's write lock would stall every request).
            answer = _answer_again(request, record, print_)
            await run_in_threadpool(session.rollback)
            return answer
        assert reserved is not None
        request.state.db_session = session
        response = await original(request)
        if 200 <= response.status_code < 300:
            await run_in_threadpool(
                records.complete,
                reserved,
                status_code=response.status_code,
                content_type=response.headers.get("content-type"),
                body=bytes(response.body),
            )
        else:  # an error answer the route chose to commit with (unreadable EDI: its bytes are kept)
            await run_in_threadpool(records.release, reserved)
        await run_in_threadpool(session.commit)
        return response
    except BaseException:
        await run_in_threadpool(session.rollback)
        raise
    finally:
        request.state.db_session = None
        await run_in_threadpool(session.close)


def _answer_again(request: Request, record: db.IdempotencyRecord, print_: str) -> Response:
    if record.request_sha256 != print_:
        error = IdempotencyKeyReusedError(
            f"the key {record.key} was used for another request ({record.method} {record.path})",
            idempotency_key=record.key,
        )
        return problems.render(error, instance=request.url.path)
    return _replay(record)
