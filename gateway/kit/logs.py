"""Structured logs: a correlation id carried in a context variable, and a JSON formatter.

    logs.configure(json=settings.log_json)          # once, at the edge (API, worker, CLI)
    with logs.bound(correlation_id=receipt.correlation_id, receipt_id=receipt.id):
        log.info("processing")                      # every record in here carries both

The ids live in `contextvars`, so they follow the code through threads started with
`asyncio.to_thread` and through awaits, and never leak from one request or job into the next. The
JSON formatter writes one object per line: time, level, logger, message, the bound ids, and the
exception when there is one.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType

_EMPTY: Mapping[str, str] = MappingProxyType({})
_CONTEXT: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar(
    "gateway_log_context", default=_EMPTY
)


def current() -> Mapping[str, str]:
    """The ids bound here (`correlation_id`, `receipt_id`, `document_id`, `job_id`...)."""
    return _CONTEXT.get()


def correlation_id() -> str | None:
    return _CONTEXT.get().get("correlation_id")


@contextmanager
def bound(**ids: str | None) -> Iterator[None]:
    """Bind ids to every log record (and to `current()`) inside the block; None values are skipped."""
    token = _CONTEXT.set({**_CONTEXT.get(), **{k: v for k, v in ids.items() if v is not None}})
    try:
        yield
    finally:
        _CONTEXT.reset(token)


class ContextFilter(logging.Filter):
    """Copies the bound ids onto each record (as attributes and as `record.context`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = dict(_CONTEXT.get())
        record.context = context
        for key, value in context.items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "context", None) or _CONTEXT.get())
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        context = getattr(record, "context", None) or {}
        cid = context.get("correlation_id")
        return f"{text} [correlation_id={cid}]" if cid else text


def configure(*, json: bool, level: int = logging.INFO, stream: object = None) -> logging.Handler:
    """Route the root logger to one stream handler (stderr by default), JSON or text, with the
    bound ids on every record. Calling it again replaces the handler it installed before."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_gateway", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler._gateway = True  # type: ignore[attr-defined]
    handler.addFilter(ContextFilter())
    handler.setFormatter(
        JsonFormatter() if json else TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root.addHandler(handler)
    root.setLevel(level)
    return handler
