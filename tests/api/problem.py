"""Assertions on RFC 9457 problem+json answers."""

from __future__ import annotations

from typing import Any

import httpx

PROBLEM_FIELDS = {"type", "title", "status", "detail", "instance"}


def assert_problem(response: httpx.Response, status: int, *, type_: str | None = None) -> dict[str, Any]:
    """The response is a problem+json of `status` with every RFC 9457 member; returns the body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body.keys() >= PROBLEM_FIELDS, body
    assert body["status"] == status
    assert body["instance"] == response.request.url.path
    if type_ is not None:
        assert body["type"] == type_
    return body
