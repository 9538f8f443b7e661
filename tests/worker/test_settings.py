"""The arq worker settings: the SLA monitors, the webhook sweep and the reconciliation are cron jobs
of registered tasks."""

from __future__ import annotations

from gateway.settings import Settings
from gateway.worker import tasks  # noqa: F401  (registers the tasks)
from gateway.worker.settings import Schedule, cron_jobs, worker_settings


def test_the_monitors_run_every_quarter_of_an_hour_as_a_cron_job() -> None:
    jobs = {job.name: job for job in cron_jobs()}
    job = jobs["cron:monitors.run"]
    assert job.minute == {0, 15, 30, 45}
    assert job.unique


def test_the_webhook_sweep_runs_every_minute_and_the_reconciliation_nightly() -> None:
    jobs = {job.name: job for job in cron_jobs()}
    sweep, nightly = jobs["cron:webhooks.sweep"], jobs["cron:reconcile.run"]
    assert (sweep.hour, sweep.minute, sweep.second) == (None, None, 0)
    assert (nightly.hour, nightly.minute) == ({2}, {30})
    assert sweep.unique
    assert nightly.unique


def test_a_schedule_naming_an_unregistered_task_is_skipped() -> None:
    assert cron_jobs({"nothing.here": Schedule(minute={0})}) == []


def test_the_worker_settings_carry_the_cron_jobs() -> None:
    options = worker_settings(Settings(redis_url="redis://127.0.0.1:6379/0"), handle_signals=False)
    assert [job.name for job in options["cron_jobs"]] == [
        "cron:monitors.run",
        "cron:reconcile.run",
        "cron:rest_poll.sweep",
        "cron:webhooks.sweep",
    ]


def test_a_burst_worker_runs_no_cron_jobs() -> None:
    options = worker_settings(
        Settings(redis_url="redis://127.0.0.1:6379/0"), burst=True, handle_signals=False
    )
    assert options["cron_jobs"] == []
