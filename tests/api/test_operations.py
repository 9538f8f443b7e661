"""Operations over the API: /metrics, dead letters, the audit log, replays, the config reload, the
request correlation id, and a 503 with Retry-After when the database cannot be reached."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import httpx
import pytest

from gateway.app import create_app
from gateway.pipeline.runtime import Runtime
from gateway.store import models as db
from gateway.store.repositories.operations import DeadLetterRepository
from gateway.store.session import make_engine, make_sessionmaker, session_scope
from tests.api.auth import Tokens
from tests.api.builders import AT, make_document_in, make_exception
from tests.api.problem import assert_problem
from tests.db_fixtures import unique_id

pytestmark = pytest.mark.anyio


def metric(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample of the exposition, or None."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        key, _, value = line.rpartition(" ")
        sample, _, rest = key.partition("{")
        if sample == name and ",".join(sorted(rest.rstrip("}").split(","))) == wanted:
            return float(value)
    return None


async def test_metrics_reads_stored_state_at_scrape_time(
    client: httpx.AsyncClient, runtime: Runtime, partner_id: str
) -> None:
    stored = make_document_in(runtime, partner_id, "a.edi")
    with session_scope(runtime.sessionmaker) as session:
        make_exception(session, partner_id)
        DeadLetterRepository(session).record(
            kind=db.DeadLetterKind.OUTBOUND_MESSAGE,
            item_id=unique_id("m"),
            job="outbound.deliver",
            attempts=5,
            reason="DeliveryError: refused",
            partner_id=partner_id,
            at=AT,
        )
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    labels = {
        "direction": "inbound",
        "partner": partner_id,
        "format": "x12",
        "type": "855",
        "status": "correlated",
    }
    assert metric(text, "gateway_documents", **labels) == 1
    assert stored.document_id
    assert (metric(text, "gateway_dead_letters", kind="outbound_message") or 0) >= 1
    assert (metric(text, "gateway_open_exceptions", type="quantity_short", age="lt_1h") or 0) >= 1
    for name in (
        "gateway_processing_latency_seconds_count",
        "gateway_backlog",
        "gateway_receipts",
        "gateway_duplicates",
        "gateway_sla_breaches_opened",
        "gateway_oauth_tokens_issued_total",
        "gateway_auth_failures_total",
        "gateway_job_retries_total",
    ):
        assert f"# HELP {name.removesuffix('_count').removesuffix('_total')}" in text, name


async def test_dead_letters_are_listed_with_their_reason(
    client: httpx.AsyncClient, runtime: Runtime, partner_id: str
) -> None:
    item = unique_id("r")
    with session_scope(runtime.sessionmaker) as session:
        DeadLetterRepository(session).record(
            kind=db.DeadLetterKind.RECEIPT,
            item_id=item,
            job="ingest.process_receipt",
            attempts=5,
            reason="OperationalError: server closed the connection",
            partner_id=partner_id,
            at=AT,
        )
    response = await client.get("/v1/dead-letters", params={"partner_id": partner_id})
    assert response.status_code == 200
    (letter,) = response.json()["items"]
    assert (letter["kind"], letter["item_id"], letter["attempts"]) == ("receipt", item, 5)
    assert letter["reason"] == "OperationalError: server closed the connection"


async def test_a_persons_change_of_an_exception_is_in_the_audit_log(
    client: httpx.AsyncClient, runtime: Runtime, partner_id: str
) -> None:
    with session_scope(runtime.sessionmaker) as session:
        case_id = make_exception(session, partner_id).id
    response = await client.post(
        f"/v1/exceptions/{case_id}/acknowledge", json={"actor": "ana", "note": "mine"}
    )
    assert response.status_code == 200
    log = await client.get("/v1/audit-log", params={"subject": f"exception:{case_id}"})
    (entry,) = log.json()["items"]
    assert entry["actor"].endswith("ana")
    assert entry["action"] == "exception.acknowledged"
    assert entry["detail"]["note"] == "mine"


async def test_a_config_reload_is_recorded_and_an_empty_replay_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/admin/partners/reload", json={"actor": "ops"})
    assert response.status_code == 200
    assert response.json()["partners"] >= 3
    log = await client.get("/v1/audit-log", params={"action": "partners.*"})
    (entry, *_) = log.json()["items"]
    assert entry["action"] == "partners.reloaded"
    assert entry["actor"].startswith("api:")
    assert entry["actor"].endswith("(ops)")  # the client, and the person it names
    assert_problem(await client.post("/v1/replays", json={}), 422)
    # A time range is ISO 8601 text with its offset, never a Unix time.
    for since in (1735689600, "1735689600", "2025-01-01T00:00:00"):
        refused = assert_problem(
            await client.post("/v1/replays", json={"partner_id": "acme-fasteners", "since": since}), 422
        )
        assert refused["errors"][0]["loc"][-1] == "since"


async def test_a_replay_preview_of_a_processed_receipt_changes_nothing(
    client: httpx.AsyncClient, runtime: Runtime, repo_root: Path
) -> None:
    from gateway.pipeline import ingest

    raw = (repo_root / "samples" / "x12" / "acme-fasteners" / "997_000000417.edi").read_bytes()
    receipt_id = ingest.receive(runtime, raw + unique_id().encode(), channel="test", file_name="997.edi")
    response = await client.post("/v1/replays", json={"receipt_ids": [receipt_id], "actor": "ops"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["applied"] is False
    assert [p["action"] for p in body["plans"]] == ["unchanged"]
    assert_problem(await client.post("/v1/replays", json={"receipt_ids": ["nope"]}), 404)


async def test_the_correlation_id_of_a_request_is_kept_or_made(client: httpx.AsyncClient) -> None:
    given = await client.get("/healthz", headers={"X-Correlation-Id": "erp-batch-7"})
    assert given.headers["x-correlation-id"] == "erp-batch-7"
    made = await client.get("/healthz")
    assert len(made.headers["x-correlation-id"]) == 32


async def test_the_api_answers_503_with_retry_after_when_the_database_is_unreachable(
    runtime: Runtime, tmp_path: Path, tokens: Tokens
) -> None:
    auth = await tokens.internal()  # a valid token: checking it needs the database too
    missing = (tmp_path / "no-such-dir" / "gateway.db").as_posix()
    unreachable = make_engine(f"sqlite:///file:{missing}?mode=ro&uri=true")
    broken = dataclasses.replace(runtime, engine=unreachable, sessionmaker=make_sessionmaker(unreachable))
    app = create_app(runtime=broken)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://localhost", headers=auth
        ) as client:
            for path in ("/v1/purchase-orders", "/v1/exceptions", "/v1/events"):
                body = assert_problem(await client.get(path), 503, type_="/problems/unavailable")
                assert body["retry_after"] == 5
            response = await client.get("/v1/events")
            assert response.headers["retry-after"] == "5"
    finally:
        unreachable.dispose()
