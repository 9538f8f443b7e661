"""Webhooks from the outbox to a real HTTP server on loopback, on SQLite and PostgreSQL.

The server (http.server in a thread on 127.0.0.1:0) answers from a script of status codes and keeps
every request. Signatures are checked by `verify`, written here from the Standard Webhooks text
and sharing no code with the gateway. Time is a FixedClock and the jitter RNG is seeded.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from gateway.canonical.events import EventType
from gateway.channels import webhook_out
from gateway.kit.clock import FixedClock
from gateway.pipeline import webhooks
from gateway.pipeline.runtime import Runtime, build_runtime
from gateway.settings import WebhookSettings
from gateway.store import models as db
from gateway.store.repositories.messaging import OutboxRepository
from gateway.store.repositories.operations import DeadLetterRepository
from gateway.store.repositories.webhooks import WebhookRepository
from gateway.store.session import session_scope
from tests.pipeline.support import NOW, NewDatabase, settings_for

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
SECRET_ENV = "GATEWAY_TEST_WEBHOOK_SECRET"


# ------------------------------------------------------------------- an independent verifier


class VerificationError(Exception):
    pass


def verify(secret: str, headers: dict[str, str], body: bytes, now: dt.datetime) -> None:
    """Standard Webhooks: HMAC-SHA256 over `id.timestamp.body` with the base64-decoded `whsec_` key,
    any `v1,` signature may match, the timestamp within five minutes."""
    msg_id, timestamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(now.timestamp() - int(timestamp)) > 300:
        raise VerificationError("timestamp too far off")
    key = base64.b64decode(secret[len("whsec_") :])
    expected = hmac.new(key, msg_id.encode() + b"." + timestamp.encode() + b"." + body, hashlib.sha256)
    wanted = base64.b64encode(expected.digest())
    for candidate in headers["webhook-signature"].split(" "):
        version, _, signature = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(signature.encode(), wanted):
            return
    raise VerificationError("no matching signature")


# --------------------------------------------------------------------------- a loopback server


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    script: list[int] = field(default_factory=list)  # status codes to answer, in order; then 200
    received: list[Received] = field(default_factory=list)
    during: Callable[[], None] | None = None  # run while a request is being answered


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            state.received.append(Received(self.path, headers, body))
            if state.during is not None:
                state.during()
            code = state.script.pop(0) if state.script else 200
            self.send_response(code)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# ------------------------------------------------------------------------------------- set-up


def write_subscribers(path: Path, url: str, *, events: str = '["*"]', start: str = "earliest") -> Path:
    path.write_text(
        "subscribers:\n"
        f"  - id: planning\n    url: {url}\n    events: {events}\n"
        f"    secret: env:{SECRET_ENV}\n    start: {start}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def hooks_rt(
    fresh_database: NewDatabase, tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Runtime]:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    settings = settings_for(tmp_path / "data", fresh_database()).model_copy(
        update={
            "subscribers_file": write_subscribers(tmp_path / "subscribers.yaml", receiver.url),
            "webhooks": WebhookSettings(max_attempts=3, backoff_base_s=30, jitter_seed=7),
        }
    )
    rt = build_runtime(settings, clock=FixedClock(NOW))
    try:
        yield rt
    finally:
        rt.close()


def append(rt: Runtime, type_: EventType, **payload: str) -> int:
    with session_scope(rt.sessionmaker) as session:
        return OutboxRepository(session).append(
            type=type_, correlation_id="test", occurred_at=NOW, payload=payload, partner_id="acme-fasteners"
        )


def sweep(rt: Runtime) -> webhooks.SweepReport:
    hooks = webhooks.Webhooks.from_settings(rt.settings, rt.clock)
    try:
        return webhooks.sweep(rt, hooks)
    finally:
        hooks.close()


def deliveries(rt: Runtime) -> list[tuple[db.WebhookDelivery, list[db.WebhookAttempt]]]:
    with session_scope(rt.sessionmaker) as session:
        repo = WebhookRepository(session)
        return [(d, list(repo.attempts(d.id))) for d in repo.list()]


def clock(rt: Runtime) -> FixedClock:
    assert isinstance(rt.clock, FixedClock)
    return rt.clock


# -------------------------------------------------------------------------------------- tests


def test_a_delivered_event_is_signed_so_an_independent_verifier_accepts_it(
    hooks_rt: Runtime, receiver: Receiver
) -> None:
    cursor = append(hooks_rt, EventType.EXCEPTION_OPENED, subject="po:1")

    report = sweep(hooks_rt)

    assert report.fanned_out == 1
    assert [o.status for o in report.outcomes] == [db.DeliveryStatus.DELIVERED]
    (request,) = receiver.received
    assert request.path == "/hooks"
    assert request.headers["webhook-id"] == f"evt_{cursor}"
    assert request.headers["webhook-timestamp"] == str(int(NOW.timestamp()))
    verify(SECRET, request.headers, request.body, NOW)
    event = json.loads(request.body)
    assert (event["cursor"], event["type"], event["data"]) == (
        cursor,
        "exception.opened",
        {"subject": "po:1"},
    )
    ((delivery, attempts),) = deliveries(hooks_rt)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert [(a.attempt, a.status_code, a.error) for a in attempts] == [(1, 200, None)]


def test_the_verifier_rejects_a_changed_body_a_wrong_key_and_an_old_timestamp(
    hooks_rt: Runtime, receiver: Receiver
) -> None:
    append(hooks_rt, EventType.EXCEPTION_OPENED, subject="po:1")
    sweep(hooks_rt)
    (request,) = receiver.received

    with pytest.raises(VerificationError):
        verify(SECRET, request.headers, request.body + b" ", NOW)
    other = "whsec_" + base64.b64encode(b"another key, 32 bytes long......").decode()
    with pytest.raises(VerificationError):
        verify(other, request.headers, request.body, NOW)
    with pytest.raises(VerificationError):
        verify(SECRET, request.headers, request.body, NOW + dt.timedelta(minutes=6))


def test_events_outside_the_subscribers_filter_are_not_delivered(
    hooks_rt: Runtime, receiver: Receiver, tmp_path: Path
) -> None:
    assert hooks_rt.settings.subscribers_file is not None
    write_subscribers(hooks_rt.settings.subscribers_file, receiver.url, events='["exception.*"]')
    append(hooks_rt, EventType.PURCHASE_ORDER_IMPORTED, po="1")
    wanted = append(hooks_rt, EventType.EXCEPTION_RESOLVED, subject="po:1")

    sweep(hooks_rt)

    assert [r.headers["webhook-id"] for r in receiver.received] == [f"evt_{wanted}"]


def test_a_second_sweep_fans_out_and_delivers_nothing_again(hooks_rt: Runtime, receiver: Receiver) -> None:
    append(hooks_rt, EventType.EXCEPTION_OPENED, subject="po:1")
    sweep(hooks_rt)

    again = sweep(hooks_rt)

    assert (again.fanned_out, again.outcomes) == (0, [])
    assert len(receiver.received) == 1


def test_a_new_subscriber_starting_latest_gets_only_events_after_it_was_first_seen(
    hooks_rt: Runtime, receiver: Receiver
) -> None:
    assert hooks_rt.settings.subscribers_file is not None
    write_subscribers(hooks_rt.settings.subscribers_file, receiver.url, start="latest")
    append(hooks_rt, EventType.EXCEPTION_OPENED, subject="before")
    assert sweep(hooks_rt).fanned_out == 0

    after = append(hooks_rt, EventType.EXCEPTION_OPENED, subject="after")
    sweep(hooks_rt)

    assert [r.headers["webhook-id"] for r in receiver.received] == [f"evt_{after}"]


def test_a_500_is_retried_after_a_jittered_backoff_with_the_same_webhook_id(
    hooks_rt: Runtime, receiver: Receiver
) -> None:
    receiver.script[:] = [500]
    append(hooks_rt, EventType.EXCEPTION_OPENED, subject="po:1")

    first = sweep(hooks_rt)
    ((delivery, _),) = deliveries(hooks_rt)
    assert first.outcomes[0].status == db.DeliveryStatus.PENDING
    assert delivery.next_attempt_at is not None
    wait = delivery.next_attempt_at - NOW
    assert dt.timedelta(seconds=15) <= wait <= dt.timedelta(seconds=30)  # base 30 s, equal jitter

    assert sweep(hooks_rt).outcomes == []  # not due yet: nothing is sent
    clock(hooks_rt).advance(wait)
    second = sweep(hooks_rt)

    assert second.outcomes[0].status == db.DeliveryStatus.DELIVERED
    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert len(ids) == 2
    assert ids[0] == ids[1]
    ((delivery, attempts),) = deliveries(hooks_rt)
    assert [(a.attempt, a.status_code) for a in attempts] == [(1, 500), (2, 200)]
    assert attempts[0].error == "HTTP 500: ok"
    assert [a.attempted_at for a in attempts] == [NOW, NOW + wait]
    verify(SECRET, receiver.received[1].headers, receiver.received[1].body, NOW + wait)


def test_a_delivery_that_keeps_failing_is_dead_after_max_attempts(
    hooks_rt: Runtime, receiver: Receiver
) -> None:
    receiver.script[:] = [500, 503, 500, 200]
    append(hooks_rt, EventType.EXCEPTION_OPENED, subject="po:1")

    waits: list[dt.timedelta] = []
    for _ in range(3):
        sweep(hooks_rt)
        ((delivery, _),) = deliveries(hooks_rt)
        if delivery.next_attempt_at is not None:
            waits.append(delivery.next_attempt_at - clock(hooks_rt).now())
            clock(hooks_rt).advance(waits[-1])
    clock(hooks_rt).advance(dt.timedelta(days=1))
    assert sweep(hooks_rt).outcomes == []

    ((delivery, attempts),) = deliveries(hooks_rt)
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("dead", 3, None)
    assert [a.status_code for a in attempts] == [500, 503, 500]
    assert len(receiver.received) == 3
    # the second wait doubles the first's range: 15-30 s, then 30-60 s
    assert dt.timedelta(seconds=15) <= waits[0] <= dt.timedelta(seconds=30)
    assert dt.timedelta(seconds=30) <= waits[1] <= dt.timedelta(seconds=60)
    # ... and it is in the dead letters with the reason, beside dead receipts and messages.
    with session_scope(hooks_rt.sessionmaker) as session:
        (letter,) = DeadLetterRepository(session).list(kind=db.DeadLetterKind.WEBHOOK_DELIVERY)
        assert (letter.item_id, letter.attempts, letter.job) == (str(delivery.id), 3, "outbox.deliver")
        assert letter.reason.startswith(f"subscriber {delivery.subscriber_id}:")


def test_the_jitter_is_the_same_for_the_same_seed() -> None:
    policy = webhooks.RetryPolicy(3, dt.timedelta(seconds=30), dt.timedelta(hours=1))
    import random

    first = [policy.delay(n, random.Random(7)) for n in (1, 2, 3)]
    assert first == [policy.delay(n, random.Random(7)) for n in (1, 2, 3)]
    assert policy.delay(40, random.Random(7)) <= dt.timedelta(hours=1)


def test_an_unreachable_subscriber_is_logged_with_no_status_code(
    hooks_rt: Runtime, receiver: Receiver
) -> None:
    assert hooks_rt.settings.subscribers_file is not None
    write_subscribers(hooks_rt.settings.subscribers_file, "http://127.0.0.1:9/nothing")
    append(hooks_rt, EventType.EXCEPTION_OPENED, subject="po:1")

    sweep(hooks_rt)

    ((delivery, attempts),) = deliveries(hooks_rt)
    assert delivery.status == "pending"
    assert attempts[0].status_code is None
    assert attempts[0].error is not None
    assert attempts[0].error.startswith("ConnectError")


def test_a_delivery_being_sent_is_not_sent_again_by_a_second_worker(
    hooks_rt: Runtime, receiver: Receiver
) -> None:
    append(hooks_rt, EventType.EXCEPTION_OPENED, subject="po:1")
    hooks = webhooks.Webhooks.from_settings(hooks_rt.settings, hooks_rt.clock)
    with session_scope(hooks_rt.sessionmaker) as session:
        webhooks.fan_out(session, hooks.subscribers.values(), now=NOW)
    ((delivery, _),) = deliveries(hooks_rt)
    second: list[webhooks.Outcome | None] = []
    receiver.during = lambda: second.append(webhooks.deliver(hooks_rt.sessionmaker, hooks, delivery.id))

    try:
        first = webhooks.deliver(hooks_rt.sessionmaker, hooks, delivery.id)
    finally:
        hooks.close()

    assert first is not None
    assert first.status == db.DeliveryStatus.DELIVERED
    assert second == [None]  # claimed: its lease runs past the request timeout
    assert len(receiver.received) == 1


def test_the_deliver_task_runs_inline_through_the_job_facade(hooks_rt: Runtime, receiver: Receiver) -> None:
    from gateway.worker import tasks  # noqa: F401  (registers the tasks)

    append(hooks_rt, EventType.EXCEPTION_OPENED, subject="po:1")
    with session_scope(hooks_rt.sessionmaker) as session:
        hooks = webhooks.Webhooks.from_settings(hooks_rt.settings, hooks_rt.clock)
        webhooks.fan_out(session, hooks.subscribers.values(), now=NOW)
        hooks.close()
    ((delivery, _),) = deliveries(hooks_rt)

    done = hooks_rt.jobs.enqueue(webhooks.DELIVER_JOB, str(delivery.id))
    again = hooks_rt.jobs.enqueue(webhooks.DELIVER_JOB, str(delivery.id), key="again")

    assert done.result == {"delivery_id": str(delivery.id), "status": "delivered", "attempt": 1}
    assert again.result == {"delivery_id": str(delivery.id), "status": None}  # safe to run twice
    assert len(receiver.received) == 1


def test_the_sweep_task_fans_out_and_delivers_inline(hooks_rt: Runtime, receiver: Receiver) -> None:
    from gateway.worker import tasks  # noqa: F401  (registers the tasks)

    append(hooks_rt, EventType.EXCEPTION_OPENED, subject="po:1")

    done = hooks_rt.jobs.enqueue(webhooks.SWEEP_JOB)

    assert done.result == {"fanned_out": 1, "queued": 0, "attempted": 1}
    assert len(receiver.received) == 1


def test_a_delivery_to_a_subscriber_removed_from_the_file_is_dead(
    hooks_rt: Runtime, receiver: Receiver
) -> None:
    receiver.script[:] = [500]
    append(hooks_rt, EventType.EXCEPTION_OPENED, subject="po:1")
    sweep(hooks_rt)
    assert hooks_rt.settings.subscribers_file is not None
    hooks_rt.settings.subscribers_file.write_text("subscribers: []\n", encoding="utf-8")
    clock(hooks_rt).advance(dt.timedelta(hours=1))

    sweep(hooks_rt)

    ((delivery, _),) = deliveries(hooks_rt)
    assert delivery.status == "dead"
    assert delivery.last_error == "subscriber planning is no longer configured"


# ------------------------------------------------------------------------------ configuration


def test_a_secret_written_into_the_subscribers_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "subs.yaml"
    path.write_text(
        f"subscribers:\n  - {{id: a, url: 'http://127.0.0.1/x', secret: '{SECRET}'}}\n", encoding="utf-8"
    )
    with pytest.raises(webhook_out.SubscriberConfigError, match="reference"):
        webhook_out.load_subscribers(path)


def test_a_secret_is_read_from_a_file_next_to_the_subscribers_file(tmp_path: Path) -> None:
    (tmp_path / "a.secret").write_text(SECRET + "\n", encoding="utf-8")
    path = tmp_path / "subs.yaml"
    path.write_text(
        "subscribers:\n  - {id: a, url: 'http://127.0.0.1/x', secret: 'file:a.secret'}\n", encoding="utf-8"
    )
    (sub,) = webhook_out.load_subscribers(path)
    assert sub.key.get_secret_value() == b"0123456789abcdef0123456789abcdef"
    assert sub.config.wants("shipment.received")


@pytest.mark.parametrize(
    ("secret", "message"),
    [("env:GATEWAY_TEST_UNSET_SECRET", "is not set"), ("file:missing.secret", "secret file")],
)
def test_a_missing_secret_is_a_configuration_error(tmp_path: Path, secret: str, message: str) -> None:
    path = tmp_path / "subs.yaml"
    path.write_text(
        f"subscribers:\n  - {{id: a, url: 'http://127.0.0.1/x', secret: '{secret}'}}\n", encoding="utf-8"
    )
    with pytest.raises(webhook_out.SubscriberConfigError, match=message):
        webhook_out.load_subscribers(path)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("whsec_!!!", "base64"),
        ("whsec_" + base64.b64encode(b"short").decode(), "16 bytes"),
        ("abc", "whsec_"),
    ],
)
def test_a_malformed_secret_is_a_configuration_error(value: str, message: str) -> None:
    with pytest.raises(webhook_out.SubscriberConfigError, match=message):
        webhook_out.decode_secret(value)


def test_a_subscriber_declared_twice_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    path = tmp_path / "subs.yaml"
    line = f"  - {{id: a, url: 'http://127.0.0.1/x', secret: 'env:{SECRET_ENV}'}}\n"
    path.write_text("subscribers:\n" + line + line, encoding="utf-8")
    with pytest.raises(webhook_out.SubscriberConfigError, match="twice"):
        webhook_out.load_subscribers(path)


# ------------------------------------------------------------------------------ queued on arq


@pytest.mark.redis
def test_the_sweep_queues_deliver_jobs_that_an_arq_worker_runs(
    tmp_path: Path,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    redis_url: str,
    queue_name: str,
) -> None:
    """Queued mode on SQLite only: job ids are named by delivery id, the same in every fresh database."""
    import asyncio

    import redis

    from gateway.worker import enqueue, tasks  # noqa: F401  (registers the tasks)
    from gateway.worker.settings import run_worker_async

    monkeypatch.setenv(SECRET_ENV, SECRET)
    settings = settings_for(
        tmp_path / "data", f"sqlite:///{(tmp_path / 'queued.db').as_posix()}", redis_url=redis_url
    ).model_copy(update={"subscribers_file": write_subscribers(tmp_path / "subscribers.yaml", receiver.url)})
    rt = build_runtime(settings, clock=FixedClock(NOW))
    rt.jobs.close()
    rt.jobs = enqueue.Enqueuer.from_settings(settings, rt.sessionmaker, queue_name=queue_name)
    client = redis.Redis.from_url(redis_url)
    jobs = [enqueue.job_id(webhooks.DELIVER_JOB, str(n), key="try1") for n in (1, 2)]
    stale = [f"arq:{kind}:{job}" for job in jobs for kind in ("job", "result", "retry", "in-progress")]
    try:
        client.delete(*stale)
        append(rt, EventType.EXCEPTION_OPENED, subject="po:1")
        append(rt, EventType.EXCEPTION_RESOLVED, subject="po:1")
        hooks = webhooks.Webhooks.from_settings(rt.settings, rt.clock)
        try:
            report = webhooks.sweep(rt, hooks, jobs=rt.jobs)
        finally:
            hooks.close()
        assert (report.fanned_out, report.queued, report.outcomes) == (2, 2, [])
        assert receiver.received == []

        worker = asyncio.run(
            run_worker_async(rt.settings, queue_name=queue_name, burst=True, handle_signals=False, max_jobs=1)
        )

        assert (worker.jobs_complete, worker.jobs_failed) == (2, 0)
        assert sorted(r.headers["webhook-id"] for r in receiver.received) == ["evt_1", "evt_2"]
        for request in receiver.received:  # the worker's runtime runs on the wall clock
            verify(SECRET, request.headers, request.body, dt.datetime.now(dt.UTC))
        assert {d.status for d, _ in deliveries(rt)} == {db.DeliveryStatus.DELIVERED}
    finally:
        client.delete(*stale)
        client.close()
        rt.close()
