"""Two tenants with data of every kind, for the tests that walk every route of the app.

Partner A and partner B each have a purchase order, a posted commitment (short: an exception, a
document, a receipt) and an API client with every supplier scope; there is also an internal client
holding every internal scope. `snapshot_b` reads everything of B's, so a probe can show that a
request made with A's token changed none of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.api.auth import Credentials, Headers, Tokens
from tests.api.supplier_builders import commitment, import_order
from tests.api.tenants import Tenants


@dataclass(frozen=True)
class Side:
    partner_id: str
    isa_id: str
    po_number: str
    exception_id: int
    document_id: str
    receipt_id: str
    credentials: Credentials
    headers: Headers

    @property
    def token(self) -> str:
        return self.headers["Authorization"].removeprefix("Bearer ")


@dataclass(frozen=True)
class World:
    a: Side
    b: Side
    internal: httpx.AsyncClient  # every internal scope
    anonymous: httpx.AsyncClient

    async def as_a(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = {**kwargs.pop("headers", {}), **self.a.headers}
        return await self.anonymous.request(method, url, headers=headers, **kwargs)

    async def snapshot_b(self) -> dict[str, Any]:
        """Everything of B's the API shows (through the internal client)."""
        b = self.b
        po = await self.internal.get(
            f"/v1/purchase-orders/{b.po_number}", params={"partner_id": b.partner_id}
        )
        case = await self.internal.get(f"/v1/exceptions/{b.exception_id}")
        documents = await self.internal.get("/v1/documents", params={"partner_id": b.partner_id})
        cases = await self.internal.get("/v1/exceptions", params={"partner_id": b.partner_id})
        return {
            "po": po.json(),
            "exception": case.json(),
            "documents": [d["id"] for d in documents.json()["items"]],
            "exceptions": [(c["id"], c["status"]) for c in cases.json()["items"]],
        }

    def b_identifiers(self) -> list[str]:
        """Strings that appear in B's data and nowhere in A's."""
        return [self.b.partner_id, self.b.po_number, self.b.document_id, self.b.receipt_id, self.b.isa_id]


async def _side(
    tokens: Tokens,
    internal: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    partner_id: str,
    isa_id: str,
    client_id: str,
) -> Side:
    po = await import_order(internal, partner_id)
    credentials = tokens.config_client(client_id)
    headers = await tokens.headers_for(credentials)
    posted = await anonymous.post(
        "/v1/supplier/commitments", json=commitment(po, quantity="80"), headers=headers
    )
    assert posted.status_code == 201, posted.text
    body = posted.json()
    return Side(
        partner_id=partner_id,
        isa_id=isa_id,
        po_number=po,
        exception_id=body["exceptions"][0]["id"],
        document_id=body["documents"][0]["document_id"],
        receipt_id=body["receipt_id"],
        credentials=credentials,
        headers=headers,
    )


async def build_world(
    tokens: Tokens, internal: httpx.AsyncClient, anonymous: httpx.AsyncClient, tenants: Tenants
) -> World:
    a = await _side(tokens, internal, anonymous, tenants.a, tenants.a_isa, tenants.a_portal)
    b = await _side(tokens, internal, anonymous, tenants.b, tenants.b_isa, tenants.b_portal)
    return World(a=a, b=b, internal=internal, anonymous=anonymous)
