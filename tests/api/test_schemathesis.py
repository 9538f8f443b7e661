"""Property-based run of every operation in the committed `openapi/openapi.json` against the app.

Loaded from the committed file (not from the app), so the contract consumers read is the one
tested. Each operation gets a bounded, derandomized set of examples; the checks are: no 5xx, and
every response matches its documented schema. Runs on SQLite only: the data the generator reaches
is mostly unknown ids and empty lists, and PostgreSQL adds nothing but time here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import response_schema_conformance

from gateway.app import create_app
from gateway.kit.clock import FixedClock
from gateway.pipeline.runtime import Runtime, build_runtime
from gateway.settings import Settings
from gateway.store.session import session_scope
from tests.api import builders

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC = REPO_ROOT / "openapi" / "openapi.json"
SEED = 20260302
MAX_EXAMPLES = 20


def _config() -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {"seed": SEED, "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True}}
    )


@pytest.fixture
def seeded_app(sqlite_url: str, tmp_path: Path) -> Iterator[FastAPI]:
    settings = Settings(
        data_dir=tmp_path,
        database_url=sqlite_url,
        redis_url=None,
        partners_dir=REPO_ROOT / "partners",
        maps_dir=REPO_ROOT / "edi_maps",
    )
    runtime: Runtime = build_runtime(settings, clock=FixedClock(builders.AT), upgrade=False)
    with session_scope(runtime.sessionmaker) as session:
        builders.make_document(session, "acme-fasteners")
        builders.make_purchase_order(session, "acme-fasteners", "PO-1")
        builders.make_exception(session, "acme-fasteners")
    try:
        yield create_app(runtime=runtime)
    finally:
        runtime.close()


def _schema(app: FastAPI | None = None) -> schemathesis.BaseSchema:
    schema = schemathesis.openapi.from_path(SPEC, config=_config())
    schema.app = app  # requests go to the app in process (the field `from_asgi` sets)
    return schema


def _raw_bytes(body: dict[str, Any]) -> bool:
    """A body of any bytes at all (`POST /as2`): there is no invalid input to generate for it."""
    media = body.get("content", {}).values()
    return bool(media) and all(m.get("schema", {}).get("format") == "binary" for m in media)


def _cases() -> list[tuple[str, str, GenerationMode]]:
    """(method, path, mode) for every operation; negative mode only where there is input to spoil."""
    cases: list[tuple[str, str, GenerationMode]] = []
    for result in _schema().get_all_operations():
        assert isinstance(result, Ok), result  # the committed spec is valid
        operation = result.ok()
        body = operation.definition.raw.get("requestBody")
        has_input = bool(operation.definition.raw.get("parameters") or (body and not _raw_bytes(body)))
        modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE] if has_input else [GenerationMode.POSITIVE]
        cases.extend((operation.method.upper(), operation.path, mode) for mode in modes)
    return sorted(cases)


CASES = _cases()


@pytest.mark.parametrize(("method", "path", "mode"), CASES, ids=[f"{m} {p} {g.value}" for m, p, g in CASES])
def test_every_operation_answers_within_its_contract(
    seeded_app: FastAPI, method: str, path: str, mode: GenerationMode
) -> None:
    operation = _schema(seeded_app)[path][method]

    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def check(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])

    check()
