"""Stored first answers to POSTs with an `Idempotency-Key`, per client."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.exc import IntegrityError

from gateway.store import models as db
from gateway.store.repositories.base import Repository


class IdempotencyRepository(Repository):
    def get(self, client_id: str, key: str) -> db.IdempotencyRecord | None:
        return self.session.get(db.IdempotencyRecord, (client_id, key))

    def reserve(
        self,
        *,
        client_id: str,
        key: str,
        method: str,
        path: str,
        request_sha256: str,
        at: dt.datetime | None = None,
    ) -> db.IdempotencyRecord | None:
        """Claim the key for this request before it does anything (status 0 until `complete`).
        None when another request holds it: on PostgreSQL this insert waits for that request's
        transaction and fails once it commits, so the caller then reads its answer."""
        row = db.IdempotencyRecord(
            client_id=client_id,
            key=key,
            method=method,
            path=path,
            request_sha256=request_sha256,
            status_code=0,
            content_type=None,
            body=b"",
            created_at=self._now(at),
        )
        try:
            with self.session.begin_nested():
                self.session.add(row)
                self.session.flush()
        except IntegrityError:
            return None
        return row

    def complete(
        self, row: db.IdempotencyRecord, *, status_code: int, content_type: str | None, body: bytes
    ) -> None:
        """Keep the answer of the request that reserved the key."""
        row.status_code = status_code
        row.content_type = content_type
        row.body = body
        self.session.flush()

    def release(self, row: db.IdempotencyRecord) -> None:
        """Give the key back (the request ended without an answer worth replaying)."""
        self.session.delete(row)
        self.session.flush()
