"""Dead letters and audit entries as the API shows them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

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


class ReplayCreate(BaseModel):
    """What to replay (at least one of them), and whether to apply it (default: only show it)."""

    model_config = ConfigDict(extra="forbid")

    receipt_ids: list[str] = Field(default_factory=list, max_length=1000)
    document_ids: list[str] = Field(default_factory=list, max_length=1000)
    partner_id: str | None = Field(default=None, max_length=64)
    since: AwareDatetime | None = None
    until: AwareDatetime | None = None
    dead_letters: bool = False
    apply: bool = False
    actor: str = Field(default="api", max_length=128)
