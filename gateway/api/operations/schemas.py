"""Dead letters and audit entries as the API shows them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict

from gateway.store import models as db


class DeadLetterRead(BaseModel):
    """An item that gave up after its last attempt, with the reason."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: db.DeadLetterKind
    item_id: str
    job: str
    partner_id: str | None
    correlation_id: str | None
    attempts: int
    reason: str
    dead_at: dt.datetime
    resolved_at: dt.datetime | None
    resolution: str | None


class DeadLetterListRead(BaseModel):
    items: list[DeadLetterRead]
    next_offset: int | None


class AuditEntryRead(BaseModel):
    """Who or what changed what, and when."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: dt.datetime
    actor: str
    action: str
    subject: str
    detail: dict[str, Any]
    correlation_id: str | None


class AuditListRead(BaseModel):
    items: list[AuditEntryRead]
    next_offset: int | None


class ConfigReloadCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    actor: str = "api"


class ConfigReloadRead(BaseModel):
    partners: int
    maps: int
