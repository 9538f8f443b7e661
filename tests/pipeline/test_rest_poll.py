"""The partner REST API poller against a partner API served on loopback (real socket), on SQLite
and PostgreSQL: an OAuth 2 client-credentials token, cursor pagination followed, each page stored
as a receipt and mapped with the partner's JSON map, the cursor remembered per partner in the
database, failures kept to the page that failed, and the sweep honouring `interval_minutes`."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.kit.clock import FixedClock
from gateway.pipeline import erp, rest_poll
from gateway.pipeline.runtime import Runtime, build_runtime
from gateway.settings import Settings
from gateway.store import models as db
from gateway.store.session import session_scope
from tests.channels.partner_api import CLIENT_SECRET, PartnerApi, serve
from tests.pipeline.support import MAPS_DIR, NOW, PARTNERS_DIR, SAMPLES, NewDatabase, case_keys, ledger

PARTNER = "northwind-metals"


@pytest.fixture
def api() -> Iterator[PartnerApi]:
    with serve() as server:
        yield server


def partners_dir(tmp_path: Path, api: PartnerApi, secret: str = CLIENT_SECRET) -> Path:
    """The sample partner file pointed at the loopback API, its secret in a file beside it."""
    folder = tmp_path / "partners"
    folder.mkdir()
    text = (PARTNERS_DIR / f"{PARTNER}.yaml").read_text(encoding="utf-8")
    text = text.replace("http://127.0.0.1:8765", api.url)
    text = text.replace("file:../samples/secrets/northwind-metals.client-secret", "file:client.secret")
    (folder / f"{PARTNER}.yaml").write_text(text, encoding="utf-8")
    (folder / "client.secret").write_text(secret + "\n", encoding="utf-8")
    return folder


def make_runtime(fresh_database: NewDatabase, tmp_path: Path, api: PartnerApi, **kw: str) -> Runtime:
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=fresh_database(),
        partners_dir=partners_dir(tmp_path, api, **kw),
        maps_dir=MAPS_DIR,
    )
    rt = build_runtime(settings, clock=FixedClock(NOW))
    orders = json.loads((SAMPLES / "erp" / "orders.json").read_text(encoding="utf-8"))
    ours = [po for po in orders["purchase_orders"] if po["partner_id"] == PARTNER]
    with session_scope(rt.sessionmaker) as session:
        erp.import_erp(session, rt, erp.ErpFile.model_validate({"purchase_orders": ours}), send=True)
    return rt


@pytest.fixture
def runtime(fresh_database: NewDatabase, tmp_path: Path, api: PartnerApi) -> Iterator[Runtime]:
    rt = make_runtime(fresh_database, tmp_path, api)
    try:
        yield rt
    finally:
        rt.close()


def cursors(rt: Runtime) -> dict[str, str | None]:
    with session_scope(rt.sessionmaker) as session:
        return {c.resource: c.cursor for c in session.scalars(select(db.PollCursor)).all()}


def receipts(rt: Runtime) -> list[tuple[str, str, dict[str, str] | None]]:
    with session_scope(rt.sessionmaker) as session:
        rows = session.scalars(
            select(db.Receipt).order_by(db.Receipt.received_at, db.Receipt.file_name)
        ).all()
        return [(r.file_name or "", str(r.status), r.transport) for r in rows]


def test_a_poll_gets_a_token_follows_the_cursor_and_correlates_every_page(
    runtime: Runtime, api: PartnerApi
) -> None:
    report = rest_poll.poll(runtime, PARTNER)

    assert report.ok, report
    assert api.tokens_issued == 1
    assert [(r.resource, len(r.receipts), r.documents) for r in report.resources] == [
        ("confirmations", 2, 2),
        ("shipments", 1, 1),
    ]
    assert [q.get("cursor") for q in api.gets("/v2/confirmations")] == [None, "nw-c-0002"]
    assert all(q["limit"] == "100" for q in api.gets("/v2/confirmations"))
    # The last page names no next cursor: the poll resumes at the page that had it.
    assert cursors(runtime) == {"confirmations": "nw-c-0002", "shipments": None}
    stored = {name: (status, transport) for name, status, transport in receipts(runtime)}
    assert sorted((name, status) for name, (status, _) in stored.items()) == [
        (f"{PARTNER}/confirmations@nw-c-0002", "processed"),
        (f"{PARTNER}/confirmations@start", "processed"),
        (f"{PARTNER}/shipments@start", "processed"),
    ]
    transport = stored[f"{PARTNER}/confirmations@nw-c-0002"][1]
    assert transport is not None
    assert transport["resource"] == "confirmations"
    assert transport["cursor"] == "nw-c-0002"
    assert transport["url"].startswith(api.url + "/v2/confirmations?")
    lines = {(ln.po_number, ln.line_number): ln for ln in ledger(runtime)}
    assert lines[("4500004003", "1")].ack_status == "accepted"
    assert lines[("4500004003", "1")].committed == 50
    assert lines[("4500004003", "1")].shipped == 50
    assert lines[("4500004003", "2")].ack_status == "rejected"
    assert ("rejected_line", "4500004003", "2") in case_keys(runtime)


def test_the_next_poll_resumes_at_the_stored_cursor_and_the_same_pages_change_nothing(
    runtime: Runtime, api: PartnerApi
) -> None:
    rest_poll.poll(runtime, PARTNER)
    before = ledger(runtime)
    api.requests.clear()

    again = rest_poll.poll(runtime, PARTNER)

    assert again.ok
    assert [q.get("cursor") for q in api.gets("/v2/confirmations")] == ["nw-c-0002"]
    assert [(r.resource, len(r.receipts), r.duplicates, r.events) for r in again.resources] == [
        ("confirmations", 1, 1, 0),
        ("shipments", 1, 1, 0),
    ]
    assert ledger(runtime) == before


def test_a_page_that_fails_keeps_the_pages_before_it_and_the_next_poll_retries_it(
    runtime: Runtime, api: PartnerApi
) -> None:
    api.failing.add(("/v2/confirmations", "nw-c-0002"))
    report = rest_poll.poll(runtime, PARTNER)

    assert not report.ok
    confirmations, shipments = report.resources
    assert len(confirmations.receipts) == 1
    assert confirmations.error is not None
    assert "HTTP 503" in confirmations.error
    assert shipments.error is None  # one resource failing does not stop the other
    assert cursors(runtime)["confirmations"] == "nw-c-0002"

    api.failing.clear()
    api.requests.clear()
    assert rest_poll.poll(runtime, PARTNER).ok
    assert [q.get("cursor") for q in api.gets("/v2/confirmations")] == ["nw-c-0002"]
    assert ("4500004003", "2", "rejected") in {
        (ln.po_number, ln.line_number, ln.ack_status) for ln in ledger(runtime)
    }


def test_a_refused_token_reads_and_stores_nothing(
    fresh_database: NewDatabase, tmp_path: Path, api: PartnerApi
) -> None:
    rt = make_runtime(fresh_database, tmp_path, api, secret="wrong")
    try:
        report = rest_poll.poll(rt, PARTNER)
        assert report.error is not None
        assert "invalid_client" in report.error
        assert report.resources == []
        assert api.gets("/v2/confirmations") == []
        assert receipts(rt) == []
        assert cursors(rt) == {}
    finally:
        rt.close()


def test_the_sweep_polls_a_partner_once_per_interval(runtime: Runtime, api: PartnerApi) -> None:
    assert [p.id for p in rest_poll.due(runtime, NOW)] == [PARTNER]  # never polled
    assert rest_poll.sweep(runtime, runtime.jobs) == [PARTNER]  # inline: polled now
    assert api.tokens_issued == 1
    assert rest_poll.sweep(runtime, runtime.jobs) == []
    clock = runtime.clock
    assert isinstance(clock, FixedClock)
    clock.advance(dt.timedelta(minutes=14))
    assert rest_poll.due(runtime, clock.now()) == []
    clock.advance(dt.timedelta(minutes=1))
    assert rest_poll.sweep(runtime, runtime.jobs) == [PARTNER]
    assert api.tokens_issued == 2
