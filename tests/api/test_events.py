from __future__ import annotations

import httpx
import pytest

from gateway.pipeline.runtime import Runtime
from gateway.store import repositories as repo
from gateway.store.session import session_scope
from tests.api import builders
from tests.api.problem import assert_problem

pytestmark = pytest.mark.anyio


async def test_pages_through_the_feed_after_a_cursor(
    client: httpx.AsyncClient, runtime: Runtime, partner_id: str
) -> None:
    with session_scope(runtime.sessionmaker) as session:
        start = repo.OutboxRepository(session).last_cursor()
    first = builders.make_document_in(runtime, partner_id, "a.edi")
    second = builders.make_document_in(runtime, partner_id, "b.edi")

    page = (await client.get("/v1/events", params={"after": start, "limit": 1})).json()
    assert [event["cursor"] for event in page["items"]] == [first.event_cursor]
    assert page["next_cursor"] == first.event_cursor
    event = page["items"][0]
    assert event["type"] == "commitment.recorded"
    assert (event["partner_id"], event["document_id"]) == (partner_id, first.document_id)
    assert event["data"]["po_number"] == "PO-1"

    rest = (await client.get("/v1/events", params={"after": page["next_cursor"]})).json()
    assert [event["cursor"] for event in rest["items"]] == [second.event_cursor]

    empty = (await client.get("/v1/events", params={"after": rest["next_cursor"]})).json()
    assert empty == {"items": [], "next_cursor": second.event_cursor}


@pytest.mark.parametrize("params", [{"after": "-1"}, {"after": "x"}, {"limit": "0"}, {"limit": "501"}])
async def test_invalid_feed_parameters_are_a_422_problem(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    assert_problem(await client.get("/v1/events", params=params), 422, type_="/problems/invalid-request")
