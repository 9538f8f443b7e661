"""Clients of the test's own tenants: `supplier_a` and `supplier_b` carry a token of partner A's
(B's) client with every supplier scope; `client` (from the API conftest) is the internal one."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from tests.api.auth import Tokens
from tests.api.conftest import BASE_URL
from tests.api.tenants import Tenants


async def _client(app: FastAPI, headers: dict[str, str]) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL, headers=headers)


@pytest.fixture
async def supplier_a(app: FastAPI, tokens: Tokens, tenants: Tenants) -> AsyncIterator[httpx.AsyncClient]:
    async with await _client(app, await tokens.supplier(tenants.a)) as c:
        yield c


@pytest.fixture
async def supplier_b(app: FastAPI, tokens: Tokens, tenants: Tenants) -> AsyncIterator[httpx.AsyncClient]:
    async with await _client(app, await tokens.supplier(tenants.b)) as c:
        yield c
