"""`Idempotency-Key` records: the first answer to a POST, kept per client and key.

A retry with the same key and the same body gets that answer again; the same key with another body
is refused. The record is written in the same transaction as the change the request made, so an
answer is never stored for a change that did not commit, nor a change committed without its answer.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.base import Base, UTCDateTime


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_record"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(1024))
    request_sha256: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(128))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
