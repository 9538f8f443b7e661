"""Stored first answers to POSTs with an `Idempotency-Key`, per client."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.exc import IntegrityError

from gateway.store import models as db
from gateway.store.repositories.base import Repository


class IdempotencyRepository(Repository):
    def get(self, client_id: str, key: str) -> db.IdempotencyRecord | None:
        return self.session.get(db.IdempotencyRecord, (client_id, key))

    def add(
        self,
        *,
        client_id: str,
        key: str,
        method: str,
        path: str,
        request_sha256: str,
        status_code: int,
        content_type: str | None,
        body: bytes,
        at: dt.datetime | None = None,
    ) -> db.IdempotencyRecord | None:
        """Store the answer; None when a concurrent request with the same key stored one first."""
        row = db.IdempotencyRecord(
            client_id=client_id,
            key=key,
            method=method,
            path=path,
            request_sha256=request_sha256,
            status_code=status_code,
            content_type=content_type,
            body=body,
            created_at=self._now(at),
        )
        try:
            with self.session.begin_nested():
                self.session.add(row)
                self.session.flush()
        except IntegrityError:
            return None
        return row
