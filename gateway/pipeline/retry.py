"""Retry policy of background work: exponential backoff with jitter, then the dead letter."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from gateway.settings import JobSettings


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a job is retried."""

    max_attempts: int
    base: dt.timedelta
    cap: dt.timedelta
    stuck_after: dt.timedelta

    @classmethod
    def from_settings(cls, jobs: JobSettings) -> RetryPolicy:
        return cls(
            max_attempts=max(jobs.max_attempts, 1),
            base=dt.timedelta(seconds=jobs.backoff_base_s),
            cap=dt.timedelta(seconds=jobs.backoff_max_s),
            stuck_after=dt.timedelta(seconds=jobs.stuck_after_s),
        )

    def delay(self, attempt: int, rng: random.Random) -> dt.timedelta:
        """The wait after failed attempt `attempt` (1-based): `min(base * 2**(attempt-1), cap)`, of
        which the second half is random ("equal jitter": items that failed together spread out)."""
        full = min(self.base * (1 << min(max(attempt - 1, 0), 32)), self.cap)
        return full / 2 + (full / 2) * rng.random()


def rng_for(jobs: JobSettings) -> random.Random:
    return random.Random(jobs.jitter_seed)


def describe(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= 2000 else text[:2000] + "…"
