"""The one door to background work: `@task` registers a job, `Enqueuer` runs or queues it.

    from gateway.worker import enqueue

    @enqueue.task("ingest.process_receipt")
    def process_receipt(ctx: enqueue.TaskContext, receipt_id: str) -> None:
        with session_scope(ctx.sessionmaker) as session:
            pipeline.ingest.process(session, receipt_id, ...)

    jobs = enqueue.Enqueuer.from_settings(settings, sessionmaker)
    with session_scope(sessionmaker) as session:
        receipt = repo.ReceiptRepository(session).add(...)
        jobs.enqueue_after_commit(session, "ingest.process_receipt", receipt.id)
    # committed -> the job runs now (inline) or is on the arq queue (Redis configured)
    jobs.close()

Two modes, chosen by `Settings.redis_url`:

- **inline** (no Redis): the task function runs at once, in the caller's thread, with a
  `TaskContext` holding the same sessionmaker. Errors propagate to the caller.
- **arq** (Redis): the job goes to the arq queue with a deterministic job id
  (`<name>:<arg>:<arg>`), so the same job is not queued again while it is queued, running, or its
  result is kept (`keep_result`, one hour by default). A genuine re-run (a replay) passes `key=` to
  get a different id.

A task must only see committed data, so jobs are sent after the commit: use
`enqueue_after_commit(session, ...)`, which holds the job until that session's transaction commits
(and drops it on rollback); call `enqueue(...)` directly only when nothing is left uncommitted.
In inline mode a failing task run from `enqueue_after_commit` raises out of `session.commit()`,
after the caller's data is committed.

This module and `gateway.worker.settings` are the only places that import arq.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from sqlalchemy import event, orm

from gateway.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_QUEUE = "gateway:queue"
ENQUEUE_TIMEOUT_S = 10.0
_PENDING = "gateway.worker.pending_jobs"


@dataclass(frozen=True)
class TaskContext:
    """What a task gets: the sessionmaker (open your own session, commit once), the settings, and an
    enqueuer for follow-up jobs. `job_id`/`attempt` are set when run by the arq worker."""

    sessionmaker: orm.sessionmaker[orm.Session]
    settings: Settings
    enqueuer: Enqueuer
    job_id: str | None = None
    attempt: int = 1


F = TypeVar("F", bound=Callable[..., object])


@dataclass(frozen=True)
class TaskSpec:
    name: str
    fn: Callable[..., object]
    max_tries: int = 5
    timeout_s: float = 300.0


class TransientError(Exception):
    """Raised by a task on a transient failure (a partner endpoint down, a lock timeout).
    Under arq the job is retried after `defer` (up to the task's `max_tries`); inline it propagates."""

    def __init__(self, reason: str, defer: timedelta = timedelta(seconds=30)) -> None:
        super().__init__(reason)
        self.defer = defer


_REGISTRY: dict[str, TaskSpec] = {}


def task(name: str, *, max_tries: int = 5, timeout: timedelta = timedelta(minutes=5)) -> Callable[[F], F]:
    """Register a SYNC task `fn(ctx: TaskContext, *ids: str) -> object` under `name`
    (`<part>.<verb>`). Arguments are ids, never documents. Registering a name twice is an error."""
    if "." not in name:
        raise ValueError(f"job name {name!r} must read <part>.<verb>")

    def register(fn: F) -> F:
        existing = _REGISTRY.get(name)
        if existing is not None and existing.fn is not fn:
            raise ValueError(f"job {name!r} is already registered to {existing.fn.__qualname__}")
        _REGISTRY[name] = TaskSpec(name, fn, max_tries, timeout.total_seconds())
        return fn

    return register


def registered() -> Mapping[str, TaskSpec]:
    """Every registered task by name (a read-only view)."""
    return dict(_REGISTRY)


def lookup(name: str) -> TaskSpec:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise LookupError(f"no task registered as {name!r}; import the module that defines it") from None


def job_id(name: str, *args: str, key: str | None = None) -> str:
    """The deterministic job id: readable when the ids allow it, hashed otherwise."""
    parts = [name, *args] if key is None else [name, *args, key]
    if all(":" not in part for part in parts) and sum(map(len, parts)) <= 200:
        return ":".join(parts)
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]
    return f"{name}:{digest}"


@dataclass(frozen=True)
class Enqueued:
    """What happened to a job: `queued` is False when an identical job was already queued (arq) ;
    `result` is the task's return value when it ran inline."""

    job_id: str
    queued: bool
    inline: bool
    result: object = None


class _ArqClient:
    """An arq pool living on its own event loop thread, so sync code can enqueue. Inside the arq
    worker the worker's own loop and pool are used instead (`Enqueuer.for_worker`)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, pool: ArqRedis, thread: threading.Thread | None):
        self.loop = loop
        self.pool = pool
        self.thread = thread

    @classmethod
    def start(cls, redis_url: str, queue_name: str) -> _ArqClient:
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="gateway-enqueue", daemon=True)
        thread.start()
        future = asyncio.run_coroutine_threadsafe(
            create_pool(RedisSettings.from_dsn(redis_url), default_queue_name=queue_name), loop
        )
        try:
            pool = future.result(ENQUEUE_TIMEOUT_S)
        except BaseException:
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            loop.close()
            raise
        return cls(loop, pool, thread)

    def enqueue(self, name: str, args: tuple[str, ...], job: str, defer: timedelta | None) -> bool:
        coroutine = self.pool.enqueue_job(name, *args, _job_id=job, _defer_by=defer)
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(ENQUEUE_TIMEOUT_S) is not None

    def close(self) -> None:
        if self.thread is None:  # the worker's pool: the worker closes it
            return
        asyncio.run_coroutine_threadsafe(self.pool.aclose(), self.loop).result(ENQUEUE_TIMEOUT_S)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


@dataclass
class Enqueuer:
    """Runs jobs inline or queues them on arq; build it once at the edge and `close()` it."""

    sessionmaker: orm.sessionmaker[orm.Session]
    settings: Settings
    queue_name: str = DEFAULT_QUEUE
    _arq: _ArqClient | None = field(default=None, repr=False)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        sessionmaker: orm.sessionmaker[orm.Session],
        *,
        queue_name: str = DEFAULT_QUEUE,
    ) -> Enqueuer:
        """Inline when `settings.redis_url` is unset, arq otherwise (connects at once)."""
        arq = _ArqClient.start(settings.redis_url, queue_name) if settings.redis_url else None
        return cls(sessionmaker, settings, queue_name, arq)

    @classmethod
    def for_worker(
        cls,
        settings: Settings,
        sessionmaker: orm.sessionmaker[orm.Session],
        pool: ArqRedis,
        loop: asyncio.AbstractEventLoop,
        *,
        queue_name: str = DEFAULT_QUEUE,
    ) -> Enqueuer:
        """An enqueuer for tasks running in the arq worker's threads: it enqueues on the worker's loop."""
        return cls(sessionmaker, settings, queue_name, _ArqClient(loop, pool, None))

    @property
    def inline(self) -> bool:
        return self._arq is None

    def enqueue(
        self, name: str, *args: str, key: str | None = None, defer: timedelta | None = None
    ) -> Enqueued:
        """Run (inline) or queue (arq) the job now. Only call this when the data the job reads is
        committed; inside a transaction use `enqueue_after_commit`. `defer` is ignored inline."""
        spec = lookup(name)
        if not all(isinstance(arg, str) for arg in args):
            raise TypeError(f"job {name!r}: arguments are ids (str), got {args!r}")
        job = job_id(name, *args, key=key)
        if self._arq is None:
            ctx = TaskContext(self.sessionmaker, self.settings, self, job_id=job)
            log.debug("running job %s inline", job)
            return Enqueued(job, queued=True, inline=True, result=spec.fn(ctx, *args))
        queued = self._arq.enqueue(name, args, job, defer)
        if not queued:
            log.info("job %s is already queued; not queued again", job)
        return Enqueued(job, queued=queued, inline=False)

    def enqueue_after_commit(
        self, session: orm.Session, name: str, *args: str, key: str | None = None
    ) -> None:
        """Hold the job until `session` commits its current transaction; drop it on rollback."""
        lookup(name)
        pending: list[tuple[str, tuple[str, ...], str | None]] | None = session.info.get(_PENDING)
        if pending is None:
            pending = session.info[_PENDING] = []
            event.listen(session, "after_commit", self._flush_pending)
            event.listen(session, "after_soft_rollback", _drop_pending)
        pending.append((name, args, key))

    def _flush_pending(self, session: orm.Session) -> None:
        pending: list[tuple[str, tuple[str, ...], str | None]] = session.info.get(_PENDING, [])
        jobs, pending[:] = list(pending), []
        for name, args, key in jobs:
            self.enqueue(name, *args, key=key)

    def close(self) -> None:
        if self._arq is not None:
            self._arq.close()
            self._arq = None


def _drop_pending(session: orm.Session, previous_transaction: Any) -> None:
    pending: list[Any] | None = session.info.get(_PENDING)
    if pending and previous_transaction.parent is None:
        log.debug("rollback: dropping %d pending jobs", len(pending))
        pending.clear()
