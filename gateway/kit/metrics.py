"""The gateway's in-process Prometheus instruments: what happens inside one process.

Counts of what is in the database (documents by status, backlogs, open exceptions, dead letters...)
are not kept here: `gateway.pipeline.observability` reads them from the database at scrape time,
so they are exact whatever number of API and worker processes run. What only a process can see (how
long a receipt took from arrival to correlation, a retry, a token issued, a failed authentication)
is counted here, in prometheus_client instruments.

Several processes on one machine (uvicorn workers, `gateway worker` beside `gateway serve`) share
their counts through prometheus_client's multiprocess mode: set `PROMETHEUS_MULTIPROC_DIR` to an
empty folder they all can write (before they start; it must be emptied when the set of processes
is restarted), and every process's `/metrics` shows the sum over all of them. Without it each
process reports its own counts, which is right when each process is scraped on its own.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

# Seconds from a receipt's arrival to the end of its processing (correlation committed).
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)

processing_latency = Histogram(
    "gateway_processing_latency_seconds",
    "Time from a receipt's arrival to the commit of its processing (correlation included).",
    ["format"],
    buckets=LATENCY_BUCKETS,
)
receipts_processed = Counter(
    "gateway_receipts_processed_total",
    "Receipts whose processing committed, by outcome (processed, failed, duplicate).",
    ["status"],
)
job_retries = Counter(
    "gateway_job_retries_total",
    "Failed attempts of a job that will be retried (after an exponential backoff with jitter).",
    ["job"],
)
dead_lettered = Counter(
    "gateway_dead_lettered_total",
    "Items that gave up after the last attempt and went to the dead letters.",
    ["kind"],
)
duplicates_detected = Counter(
    "gateway_duplicates_detected_total",
    "Receipts recognised as a copy of one received before (same bytes, or same partner and control number).",
    ["level"],
)
tokens_issued = Counter(
    "gateway_oauth_tokens_issued_total",
    "OAuth 2 access tokens issued, by partner (the client's tenant).",
    ["partner"],
)
auth_failures = Counter(
    "gateway_auth_failures_total",
    "Requests refused for their credentials, by reason (invalid_client, invalid_token, insufficient_scope).",
    ["reason"],
)


def record_token_issued(partner: str) -> None:
    """Call when the token endpoint issues an access token."""
    tokens_issued.labels(partner=partner).inc()


def record_auth_failure(reason: str) -> None:
    """Call when a request is refused for its credentials (a 401 or a 403 for scope)."""
    auth_failures.labels(reason=reason).inc()
