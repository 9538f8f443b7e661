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
  `TaskContext` holding the same sessionmaker. Errors propagate to the caller, except a
  `TransientError` (the task recorded the failure for a later retry): it is logged and reported in
  `Enqueued.error`.
- **arq** (Redis): the job goes to the arq queue with a deterministic job id
  (`<name>:<arg>:<arg>`), so the same job is not queued again while it is queued, running, or its
  result is kept (`keep_result`, one hour by default). A genuine re-run (a replay) passes `key=` to
  get a different id.

A task must only see committed data, so jobs are sent after the commit: use
`enqueue_after_commit(session, ...)`, which holds the job until that session's transaction commits
(and drops it on rollback); call `enqueue(...)` directly only when nothing is left uncommitted.
In inline mode a failing task run from `enqueue_after_commit` raises out of `session.commit()`,
after the caller's data is committed. In arq mode a job that cannot be queued after the commit
(Redis unreachable) is logged and dropped: the data is committed and the work item's own table says
it is due (a `received` receipt, a `queued` message), so the recovery sweeper queues it again.
Redis being down when the enqueuer is built is not fatal either: it connects at the first job.

Cron jobs: `task(name, cron=Schedule(minute={0, 30}))` makes the task a cron job of long-running
workers (see `gateway.worker.settings`).

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
class Schedule:
    """When a cron job runs (arq `cron` fields; None means every)."""

    hour: set[int] | None = None
    minute: set[int] | None = None
    second: set[int] | None = None


@dataclass(frozen=True)
class TaskSpec:
    name: str
    fn: Callable[..., object]
    max_tries: int = 5
    timeout_s: float = 300.0
    cron: Schedule | None = None


class TransientError(Exception):
    """Raised by a task on a transient failure (a partner endpoint down, a lock timeout).
    Under arq the job is retried after `defer` (up to the task's `max_tries`); inline it propagates."""

    def __init__(self, reason: str, defer: timedelta = timedelta(seconds=30)) -> None:
        super().__init__(reason)
        self.defer = defer


_REGISTRY: dict[str, TaskSpec] = {}


def task(
    name: str,
    *,
    max_tries: int = 5,
    timeout: timedelta = timedelta(minutes=5),
    cron: Schedule | None = None,
) -> Callable[[F], F]:
    """Register a SYNC task `fn(ctx: TaskContext, *ids: str) -> object` under `name`
    (`<part>.<verb>`). Arguments are ids, never documents. Registering a name twice is an error.
    With `cron`, long-running workers also run it (without arguments) on that schedule."""
    if "." not in name:
        raise ValueError(f"job name {name!r} must read <part>.<verb>")

    def register(fn: F) -> F:
        existing = _REGISTRY.get(name)
        if existing is not None and existing.fn is not fn:
            raise ValueError(f"job {name!r} is already registered to {existing.fn.__qualname__}")
        _REGISTRY[name] = TaskSpec(name, fn, max_tries, timeout.total_seconds(), cron)
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
    error: str | None = None  # inline: the task failed transiently (see TransientError)


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

    def ping(self) -> bool:
        async def ping() -> bool:
            return bool(await self.pool.ping())

        return asyncio.run_coroutine_threadsafe(ping(), self.loop).result(ENQUEUE_TIMEOUT_S)

    def queued(self, queue_name: str) -> int:
        """How many jobs wait in the queue (due or deferred)."""

        async def zcard() -> int:
            return int(await self.pool.zcard(queue_name))

        return asyncio.run_coroutine_threadsafe(zcard(), self.loop).result(ENQUEUE_TIMEOUT_S)

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
        """Inline when `settings.redis_url` is unset, arq otherwise (connects now, or at the first
        job if Redis does not answer now)."""
        enqueuer = cls(sessionmaker, settings, queue_name, None)
        if settings.redis_url:
            try:
                enqueuer._connect()
            except Exception as error:  # Redis down at startup: intake still stores documents
                log.warning(
                    "Redis at %s unreachable (%s); jobs are queued once it answers", settings.redis_url, error
                )
        return enqueuer

    def _connect(self) -> _ArqClient:
        if self._arq is None:
            assert self.settings.redis_url
            self._arq = _ArqClient.start(self.settings.redis_url, self.queue_name)
        return self._arq

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
        return not self.settings.redis_url

    def ping(self) -> bool:
        """Whether the queue answers (True inline: there is none to wait for)."""
        if self.inline:
            return True
        try:
            return self._connect().ping()
        except Exception as error:  # a probe: any failure means "not reachable"
            log.warning("Redis unreachable: %s", error)
            return False

    def queue_depth(self) -> int | None:
        """Jobs waiting in the queue; None inline."""
        if self.inline:
            return None
        return self._connect().queued(self.queue_name)

    def enqueue(
        self, name: str, *args: str, key: str | None = None, defer: timedelta | None = None
    ) -> Enqueued:
        """Run (inline) or queue (arq) the job now. Only call this when the data the job reads is
        committed; inside a transaction use `enqueue_after_commit`. `defer` is ignored inline."""
        spec = lookup(name)
        if not all(isinstance(arg, str) for arg in args):
            raise TypeError(f"job {name!r}: arguments are ids (str), got {args!r}")
        job = job_id(name, *args, key=key)
        if self.inline:
            ctx = TaskContext(self.sessionmaker, self.settings, self, job_id=job)
            log.debug("running job %s inline", job)
            try:
                return Enqueued(job, queued=True, inline=True, result=spec.fn(ctx, *args))
            except TransientError as error:
                log.warning("job %s failed and is due again later: %s", job, error)
                return Enqueued(job, queued=True, inline=True, error=str(error))
        queued = self._connect().enqueue(name, args, job, defer)
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
        if session.in_nested_transaction():
            return  # a SAVEPOINT released (SQLAlchemy fires after_commit for it too): not committed yet
        pending: list[tuple[str, tuple[str, ...], str | None]] = session.info.get(_PENDING, [])
        jobs, pending[:] = list(pending), []
        for name, args, key in jobs:
            if self.inline:
                self.enqueue(name, *args, key=key)
                continue
            try:
                self.enqueue(name, *args, key=key)
            except Exception as error:  # committed already: the recovery sweeper queues it later
                log.warning("job %s %s not queued (%s); the sweeper will queue it", name, args, error)

    def close(self) -> None:
        if self._arq is not None:
            self._arq.close()
            self._arq = None


def _drop_pending(session: orm.Session, previous_transaction: Any) -> None:
    pending: list[Any] | None = session.info.get(_PENDING)
    if pending and previous_transaction.parent is None:
        log.debug("rollback: dropping %d pending jobs", len(pending))
        pending.clear()
