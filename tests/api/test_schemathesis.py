"""Property-based run of every operation in the committed `openapi/openapi.json` against the app,
authenticated with real tokens.

Loaded from the committed file (not from the app), so the contract consumers read is the one
tested. Each operation gets a bounded, derandomized set of examples (more under `-m slow`), with a
supplier's token for the supplier API and an internal token holding every internal scope for the
rest; the OAuth endpoints and the public ones get none. The checks: no 5xx, every status and
content type documented, every response matching its schema, negative data rejected, and
authentication enforced (`ignored_auth` sends the request again without and with a bad token).

A stateful run follows the spec's links (a list of purchase orders to one of them, a posted
commitment to its document). Runs on SQLite only: the data the generator reaches is mostly
unknown ids and empty lists, and PostgreSQL adds nothing but time here.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis.stateful import run_state_machine_as_test
from pydantic import SecretStr
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from gateway.app import create_app
from gateway.kit.clock import FixedClock
from gateway.pipeline.runtime import Runtime, build_runtime
from gateway.settings import ApiSettings, OAuthSettings, Settings
from gateway.store.session import session_scope
from tests.api import builders
from tests.api.auth import TEST_SECRET_KEY, Tokens

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC = REPO_ROOT / "openapi" / "openapi.json"
SEED = 20260302
MAX_EXAMPLES = 20
SLOW_EXAMPLES = 200
SUPPLIER = "acme-fasteners"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
]


@dataclasses.dataclass(frozen=True)
class Seeded:
    app: FastAPI
    internal: dict[str, str]
    supplier: dict[str, str]

    def headers_for(self, path: str) -> dict[str, str]:
        if path.startswith("/v1/supplier") or path == "/v1/edi":
            return self.supplier
        if path.startswith("/v1/"):
            return self.internal
        return {}


def _config(examples: int) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {"seed": SEED, "generation": {"max-examples": examples, "deterministic": True}}
    )


async def _tokens(app: FastAPI, runtime: Runtime) -> tuple[dict[str, str], dict[str, str]]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost") as c:
        tokens = Tokens(c, runtime)
        return await tokens.internal(), await tokens.supplier(SUPPLIER)


@pytest.fixture
def seeded(sqlite_url: str, tmp_path: Path) -> Iterator[Seeded]:
    settings = Settings(
        data_dir=tmp_path,
        database_url=sqlite_url,
        redis_url=None,
        partners_dir=REPO_ROOT / "partners",
        maps_dir=REPO_ROOT / "edi_maps",
        oauth=OAuthSettings(secret_key=SecretStr(TEST_SECRET_KEY)),
        # Thousands of requests with one token: the rate limit is not what is tested here.
        api=ApiSettings(rate_limit_per_minute=10**9, rate_limit_burst=10**6),
    )
    runtime: Runtime = build_runtime(settings, clock=FixedClock(builders.AT), upgrade=False)
    with session_scope(runtime.sessionmaker) as session:
        builders.make_document(session, SUPPLIER)
        builders.make_purchase_order(session, SUPPLIER, "PO-1")
        builders.make_exception(session, SUPPLIER)
    app = create_app(runtime=runtime)
    internal, supplier = asyncio.run(_tokens(app, runtime))
    try:
        yield Seeded(app, internal, supplier)
    finally:
        runtime.close()


def _schema(app: FastAPI | None = None, examples: int = MAX_EXAMPLES) -> schemathesis.BaseSchema:
    schema = schemathesis.openapi.from_path(SPEC, config=_config(examples))
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
IDS = [f"{m} {p} {g.value}" for m, p, g in CASES]


def _run(seeded: Seeded, method: str, path: str, mode: GenerationMode, examples: int) -> None:
    operation = _schema(seeded.app, examples)[path][method]
    headers = seeded.headers_for(path)

    @hypothesis.settings(max_examples=examples, derandomize=True, deadline=None, database=None)
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def check(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    check()


def test_every_operation_of_the_app_is_in_the_committed_spec() -> None:
    assert {(m, p) for m, p, _ in CASES} == {
        (method.upper(), path) for path, item in create_app().openapi()["paths"].items() for method in item
    }


@pytest.mark.parametrize(("method", "path", "mode"), CASES, ids=IDS)
def test_every_operation_answers_within_its_contract(
    seeded: Seeded, method: str, path: str, mode: GenerationMode
) -> None:
    _run(seeded, method, path, mode, MAX_EXAMPLES)


@pytest.mark.slow
@pytest.mark.parametrize(("method", "path", "mode"), CASES, ids=IDS)
def test_every_operation_answers_within_its_contract_with_many_examples(
    seeded: Seeded, method: str, path: str, mode: GenerationMode
) -> None:
    _run(seeded, method, path, mode, SLOW_EXAMPLES)


def test_the_links_between_operations_hold(seeded: Seeded) -> None:
    base = _schema(seeded.app).as_state_machine()

    class Machine(base):  # type: ignore[valid-type,misc]
        def get_call_kwargs(self, case: schemathesis.Case[Any]) -> dict[str, Any]:
            return {"headers": seeded.headers_for(case.path)}

        def validate_response(self, response: Any, case: schemathesis.Case[Any], **kwargs: Any) -> None:
            case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

    run_state_machine_as_test(
        Machine,
        settings=hypothesis.settings(
            max_examples=10, stateful_step_count=5, derandomize=True, deadline=None, database=None
        ),
    )
