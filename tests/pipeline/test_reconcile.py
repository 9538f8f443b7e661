"""Reconciliation: an ERP snapshot of PO lines against the ledger (SQLite and PostgreSQL), the
snapshot parser, the pure comparison, and the cron task."""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from gateway.canonical import EventType
from gateway.pipeline import reconcile
from gateway.pipeline.runtime import Runtime
from gateway.store.repositories.messaging import OutboxRepository
from gateway.store.session import session_scope
from tests.pipeline.support import import_orders

K = reconcile.VarianceKind


def line(po: str = "PO1", number: str = "1", **changes: Any) -> reconcile.LineState:
    fields: dict[str, Any] = {
        "partner_id": "acme-fasteners",
        "po_number": po,
        "line_number": number,
        "ordered": Decimal(100),
        "received": Decimal(0),
        "open": Decimal(100),
        "unit": "EA",
    }
    return reconcile.LineState(**(fields | changes))


def snapshot_of(rt: Runtime) -> list[dict[str, Any]]:
    with session_scope(rt.sessionmaker) as session:
        return [ln.model_dump(mode="json") for ln in reconcile.gateway_lines(session)]


def run(rt: Runtime, lines: list[dict[str, Any]]) -> reconcile.Report:
    parsed = reconcile.parse_snapshot(json.dumps({"generated_at": "2025-03-05", "lines": lines}).encode())
    with session_scope(rt.sessionmaker) as session:
        return reconcile.reconcile(session, parsed)


def test_a_snapshot_equal_to_the_ledger_has_no_variance(runtime: Runtime) -> None:
    import_orders(runtime, send=False)
    lines = snapshot_of(runtime)

    report = run(runtime, lines)

    assert len(lines) >= 6
    assert (report.erp_lines, report.gateway_lines, report.variances) == (len(lines), len(lines), ())


def test_every_kind_of_variance_against_the_ledger_is_reported(runtime: Runtime) -> None:
    import_orders(runtime, send=False)
    lines = snapshot_of(runtime)
    first, second, third, dropped = lines[0], lines[1], lines[2], lines[3]
    first["ordered"] = str(Decimal(first["ordered"]) + 10)
    second["received"], second["open"] = "40", str(Decimal(second["ordered"]) - 40)
    third["unit"] = "CA"
    lines.remove(dropped)
    lines.append(line("4599999999", "7").model_dump(mode="json"))

    report = run(runtime, lines)

    found = {(v.kind, v.po_number, v.line_number) for v in report.variances}
    assert found == {
        (K.ORDERED, first["po_number"], first["line_number"]),
        (K.RECEIVED, second["po_number"], second["line_number"]),
        (K.OPEN, second["po_number"], second["line_number"]),
        (K.UNIT, third["po_number"], third["line_number"]),
        (K.MISSING_IN_ERP, dropped["po_number"], dropped["line_number"]),
        (K.MISSING_IN_GATEWAY, "4599999999", "7"),
    }
    received = next(v for v in report.variances if v.kind is K.RECEIVED)
    assert (received.erp, received.gateway) == ("40 EA", "0 EA")


def test_compare_orders_lines_numerically_and_names_both_values() -> None:
    erp = [line(number="10", open=Decimal(90)), line(number="2")]
    gateway = [line(number="10"), line(number="2", ordered=Decimal("100.0"))]

    report = reconcile.compare(erp, gateway)

    assert [(v.kind, v.line_number, v.erp, v.gateway) for v in report.variances] == [
        (K.OPEN, "10", "90 EA", "100 EA")
    ]
    assert report.counts() == {"open": 1}


def test_a_line_only_in_one_view_is_summarised() -> None:
    report = reconcile.compare([line(number="1")], [line(number="2", received=Decimal(100), open=Decimal(0))])

    assert [v.as_dict() for v in report.variances] == [
        {
            "kind": "missing_in_gateway",
            "partner_id": "acme-fasteners",
            "po_number": "PO1",
            "line_number": "1",
            "erp": "ordered 100, received 0, open 100 EA",
            "gateway": None,
        },
        {
            "kind": "missing_in_erp",
            "partner_id": "acme-fasteners",
            "po_number": "PO1",
            "line_number": "2",
            "erp": None,
            "gateway": "ordered 100, received 100, open 0 EA",
        },
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "not JSON"),
        (b'{"rows": []}', "list of lines"),
        (b'[{"partner_id": "a"}]', "invalid line"),
        (json.dumps([line().model_dump(mode="json")] * 2).encode(), "appears twice"),
    ],
)
def test_an_unreadable_snapshot_is_a_snapshot_error(data: bytes, message: str) -> None:
    with pytest.raises(reconcile.SnapshotError, match=message):
        reconcile.parse_snapshot(data)


def test_a_plain_list_is_a_snapshot_too() -> None:
    assert reconcile.parse_snapshot(json.dumps([line().model_dump(mode="json")]).encode()) == [line()]


def test_the_cron_task_logs_the_variance_count_of_the_configured_snapshot(
    runtime: Runtime, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from gateway.worker import tasks  # noqa: F401  (registers the tasks)

    import_orders(runtime, send=False)
    lines = snapshot_of(runtime)
    lines[0]["ordered"] = "1"
    path = tmp_path / "erp-snapshot.json"
    path.write_text(json.dumps(lines), encoding="utf-8")
    runtime.jobs.settings.reconcile_snapshot = path

    with caplog.at_level(logging.INFO, logger="gateway.worker.tasks"):
        done = runtime.jobs.enqueue(reconcile.JOB)

    assert done.result == {"variances": 1, "counts": {"ordered": 1}}
    assert "erp-snapshot.json" in caplog.text
    assert "1 variances" in caplog.text
    with session_scope(runtime.sessionmaker) as session:
        events = OutboxRepository(session).list_after(0, 1000)
        completed = [e for e in events if e.type == EventType.RECONCILIATION_COMPLETED]
        assert len(completed) == 1
        assert completed[0].payload["variances"] == 1
        assert completed[0].payload["snapshot"] == "erp-snapshot.json"


def test_the_cron_task_does_nothing_without_a_snapshot(runtime: Runtime) -> None:
    from gateway.worker import tasks  # noqa: F401  (registers the tasks)

    assert runtime.jobs.enqueue(reconcile.JOB).result == {"skipped": "no reconcile_snapshot configured"}
