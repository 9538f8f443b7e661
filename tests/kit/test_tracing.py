"""Tracing when configured: a receipt's processing is a span carrying its correlation id (run in a
child process: OpenTelemetry allows one tracer provider per process). Unconfigured, spans are no-ops."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from gateway.kit import tracing

SCRIPT = """
import json, sys
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from gateway.kit import tracing
from gateway.pipeline import ingest
from gateway.pipeline.runtime import build_runtime
from gateway.settings import Settings
from gateway.worker import tasks  # noqa: F401

assert tracing.configure("console", service_name="test")
exporter = InMemorySpanExporter()
trace.get_tracer_provider().add_span_processor(SimpleSpanProcessor(exporter))
root = sys.argv[1]
settings = Settings(data_dir=root + "/data", partners_dir=root + "/partners", maps_dir=root + "/edi_maps")
rt = build_runtime(settings)
data = open(root + "/samples/x12/acme-fasteners/855_000000418.edi", "rb").read()
receipt = ingest.receive(rt, data, channel="test")
rt.close()
spans = [{"name": s.name, "attributes": dict(s.attributes)} for s in exporter.get_finished_spans()]
print("REPORT " + json.dumps({"receipt": receipt, "spans": spans}))
"""


def test_a_receipt_is_traced_with_its_correlation_id_when_tracing_is_configured(
    repo_root: Path, tmp_path: Path
) -> None:
    (tmp_path / "data").mkdir()
    for name in ("partners", "edi_maps", "samples"):
        (tmp_path / name).symlink_to(repo_root / name)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True, timeout=120, check=True
    )
    (line,) = [ln for ln in result.stdout.splitlines() if ln.startswith("REPORT ")]
    report = json.loads(line.removeprefix("REPORT "))
    by_name = {s["name"]: s["attributes"] for s in report["spans"]}
    assert by_name["ingest.receive"]["gateway.receipt_id"] == report["receipt"]
    assert by_name["ingest.process_receipt"]["gateway.correlation_id"] == report["receipt"]
    assert by_name["outbound.deliver"]["gateway.transport"] == "filedrop"


def test_unconfigured_spans_cost_nothing_and_record_nothing() -> None:
    assert tracing.configure("none") is False
    with tracing.span("ingest.receive", receipt_id="r") as span:
        assert not span.is_recording()
