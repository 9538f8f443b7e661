"""OpenTelemetry tracing: spans around receipts, jobs, deliveries and requests, when configured.

`opentelemetry-api` alone gives no-op spans (nothing is recorded, nearly nothing is spent). With
`GATEWAY_TRACING=otlp` (and the `otel` extra installed: the SDK and the OTLP/HTTP exporter) spans are
exported to `OTEL_EXPORTER_OTLP_ENDPOINT` (the standard OTEL_* variables apply); `console` prints
them, for a look on one machine. Each span carries the document's correlation id
(`gateway.correlation_id`), the same id the JSON logs carry.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace

log = logging.getLogger(__name__)
_configured: str | None = None


def configure(mode: str, *, service_name: str = "supplier-gateway") -> bool:
    """Install a tracer provider for `mode` ("none", "otlp", "console"); True when spans are exported.
    Once per process: a second call with another mode is ignored (OpenTelemetry allows one provider)."""
    global _configured
    if mode == "none" or _configured is not None:
        return _configured not in (None, "none")
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
    except ImportError:
        log.warning("GATEWAY_TRACING=%s needs the otel extra (pip install 'supplier-gateway[otel]')", mode)
        return False
    exporter: SpanExporter
    if mode == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()
    elif mode == "console":
        exporter = ConsoleSpanExporter()
    else:
        raise ValueError(f"GATEWAY_TRACING must be none, otlp or console, not {mode!r}")
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _configured = mode
    return True


@contextmanager
def span(name: str, **attributes: Any) -> Iterator[trace.Span]:
    """A span named `name` (`ingest.process_receipt`, `outbound.deliver`...) with `gateway.*`
    attributes (None values are left out); an exception escaping it is recorded on it."""
    tracer = trace.get_tracer("gateway")
    attrs = {f"gateway.{k}": v for k, v in attributes.items() if v is not None}
    with tracer.start_as_current_span(name, attributes=attrs) as current:
        yield current
