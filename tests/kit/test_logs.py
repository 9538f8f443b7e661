"""Structured logs: JSON lines carrying the ids bound in the context, across threads."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator

import pytest

from gateway.kit import logs


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = logs.configure(json=True, stream=stream)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_json_line_carries_the_correlation_id_bound_around_it(captured: io.StringIO) -> None:
    log = logging.getLogger("gateway.test")
    with logs.bound(correlation_id="r-1", receipt_id="r-1"):
        log.info("processing %s", "r-1")
        with logs.bound(document_id="d-9"):
            log.warning("mapped")
    log.info("after")
    first, second, third = lines(captured)
    assert first["message"] == "processing r-1"
    assert (first["level"], first["logger"], first["correlation_id"]) == ("info", "gateway.test", "r-1")
    assert (second["correlation_id"], second["document_id"]) == ("r-1", "d-9")
    assert "correlation_id" not in third  # nothing leaks out of the block


def test_the_context_follows_work_into_a_worker_thread(captured: io.StringIO) -> None:
    log = logging.getLogger("gateway.test")

    async def job() -> None:
        with logs.bound(correlation_id="job-7"):
            await asyncio.to_thread(log.info, "in a thread")

    asyncio.run(job())
    (line,) = lines(captured)
    assert line["correlation_id"] == "job-7"


def test_an_exception_is_in_the_line(captured: io.StringIO) -> None:
    try:
        raise ValueError("bad segment")
    except ValueError:
        logging.getLogger("gateway.test").exception("failed")
    (line,) = lines(captured)
    assert "ValueError: bad segment" in str(line["exception"])
