"""The arq worker: one arq function per registered task, resources built in `on_startup`.

`gateway worker` calls `run_worker(settings)`. Each registered SYNC task is wrapped in an async
arq function that runs it in a thread (`asyncio.to_thread`) with a `TaskContext`, so inline mode
and queued mode run the same task code. `on_startup` builds the engine and sessionmaker with the
same factory functions the API and CLI use; `on_shutdown` disposes them.

Import the modules that define tasks (`task_modules`) before building the settings, so the
registry is filled: by default `gateway.worker.tasks` if it exists.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypedDict, cast

from arq import Retry
from arq.connections import ArqRedis, RedisSettings
from arq.cron import CronJob, cron
from arq.worker import Function, Worker, func
from sqlalchemy import Engine, orm

from gateway.settings import Settings
from gateway.store.session import make_engine, make_sessionmaker
from gateway.worker import enqueue

log = logging.getLogger(__name__)

DEFAULT_TASK_MODULES = ("gateway.worker.tasks",)


# Cron jobs: registered task name -> when it runs (arq `cron` keywords). The SLA monitors look for
# missing 997s, 855s and shipments every quarter of an hour; the webhook sweep fans out and
# delivers every minute; the ERP reconciliation runs nightly (it does nothing without a configured
# snapshot); the partner API sweep looks every minute for partners whose `interval_minutes` has
# passed and queues their polls. Each task is safe to run twice.
@dataclass(frozen=True)
class Schedule:
    """When a cron job runs (arq `cron` fields; None means every)."""

    hour: set[int] | None = None
    minute: set[int] | None = None


CRON_SCHEDULE: dict[str, Schedule] = {
    "monitors.run": Schedule(minute={0, 15, 30, 45}),
    "webhooks.sweep": Schedule(),
    "reconcile.run": Schedule(hour={2}, minute={30}),
    "rest_poll.sweep": Schedule(),
}


class WorkerContext(TypedDict, total=False):
    """arq's `ctx` dict as we fill it (arq adds `redis`, `job_id`, `job_try`, `enqueue_time`...)."""

    redis: ArqRedis
    job_id: str
    job_try: int
    settings: Settings
    engine: Engine
    sessionmaker: orm.sessionmaker[orm.Session]
    enqueuer: enqueue.Enqueuer


def backoff(attempt: int, base: timedelta) -> timedelta:
    """Exponential backoff from the task's own suggestion: base, 2x, 4x..., at most one hour."""
    return min(base * (1 << min(max(attempt - 1, 0), 16)), timedelta(hours=1))


def arq_function(spec: enqueue.TaskSpec) -> Function:
    """The arq function that runs one registered task in a worker thread."""

    async def run(ctx: dict[Any, Any], *ids: Any, **_: Any) -> Any:
        job = cast(WorkerContext, ctx)
        attempt = job.get("job_try", 1)
        task_ctx = enqueue.TaskContext(
            sessionmaker=job["sessionmaker"],
            settings=job["settings"],
            enqueuer=job["enqueuer"],
            job_id=job.get("job_id"),
            attempt=attempt,
        )
        try:
            return await asyncio.to_thread(spec.fn, task_ctx, *ids)
        except enqueue.TransientError as error:
            delay = backoff(attempt, error.defer)
            log.warning("job %s attempt %d: %s; retrying in %s", job.get("job_id"), attempt, error, delay)
            raise Retry(defer=delay) from error

    run.__qualname__ = run.__name__ = spec.name
    return func(run, name=spec.name, max_tries=spec.max_tries, timeout=spec.timeout_s)


def cron_jobs(schedule: dict[str, Schedule] | None = None) -> list[CronJob]:
    """The cron jobs of the registered tasks named in `schedule` (unregistered names are skipped)."""
    registered = enqueue.registered()
    jobs: list[CronJob] = []
    for name, when in sorted((schedule if schedule is not None else CRON_SCHEDULE).items()):
        spec = registered.get(name)
        if spec is None:
            log.warning("cron job %s has no registered task; not scheduled", name)
            continue
        jobs.append(
            cron(
                arq_function(spec).coroutine,
                name=f"cron:{name}",
                hour=when.hour,
                minute=when.minute,
                unique=True,
            )
        )
    return jobs


def import_task_modules(modules: Iterable[str]) -> None:
    for module in modules:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as error:
            if error.name != module:
                raise
            log.warning("task module %s does not exist; no tasks from it", module)


def worker_settings(
    settings: Settings,
    *,
    queue_name: str = enqueue.DEFAULT_QUEUE,
    burst: bool = False,
    task_modules: Iterable[str] = DEFAULT_TASK_MODULES,
    handle_signals: bool = True,
    max_jobs: int = 10,
) -> dict[str, Any]:
    """Keyword arguments for `arq.worker.Worker` (the WorkerSettings, as a dict)."""
    if not settings.redis_url:
        raise ValueError("the worker needs GATEWAY_REDIS_URL; without it jobs run inline")
    import_task_modules(task_modules)
    functions = [arq_function(spec) for spec in enqueue.registered().values()]
    if not functions:
        raise ValueError("no tasks registered: import the modules that define them")

    async def on_startup(arq_ctx: dict[Any, Any]) -> None:
        ctx = cast(WorkerContext, arq_ctx)
        engine = make_engine(settings.effective_database_url)
        factory = make_sessionmaker(engine)
        ctx["settings"] = settings
        ctx["engine"] = engine
        ctx["sessionmaker"] = factory
        ctx["enqueuer"] = enqueue.Enqueuer.for_worker(
            settings, factory, ctx["redis"], asyncio.get_running_loop(), queue_name=queue_name
        )

    async def on_shutdown(arq_ctx: dict[Any, Any]) -> None:
        ctx = cast(WorkerContext, arq_ctx)
        engine = ctx.get("engine")
        if engine is not None:
            engine.dispose()

    return {
        "functions": functions,
        # A burst worker drains the queue and stops; cron jobs belong to long-running workers (the
        # every-minute webhook sweep would otherwise add jobs to whatever a burst run is draining).
        "cron_jobs": [] if burst else cron_jobs(),
        "queue_name": queue_name,
        "redis_settings": RedisSettings.from_dsn(settings.redis_url),
        "on_startup": on_startup,
        "on_shutdown": on_shutdown,
        "burst": burst,
        "handle_signals": handle_signals,
        "max_jobs": max_jobs,
        "keep_result": 3600,
    }


async def run_worker_async(settings: Settings, **options: Any) -> Worker:
    """Run a worker on the running loop until it stops (after the queue is empty when `burst`).
    Returns the worker, whose `jobs_complete`/`jobs_failed`/`jobs_retried` tell what happened."""
    worker = Worker(**worker_settings(settings, **options))
    try:
        await worker.async_run()
    finally:
        with warnings.catch_warnings():
            # arq 0.28 closes its pool with redis-py's deprecated `close()`; nothing of ours.
            warnings.filterwarnings("ignore", "Call to deprecated close", DeprecationWarning)
            await worker.close()
    return worker


def run_worker(settings: Settings, burst: bool = False, **options: Any) -> int:
    """The `gateway worker` entry point. Returns a process exit code (1 if a job failed in burst mode)."""
    worker = asyncio.run(run_worker_async(settings, burst=burst, **options))
    return 1 if burst and worker.jobs_failed else 0
