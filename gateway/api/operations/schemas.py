"""Dead letters and audit entries as the API shows them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from gateway.api.params import KEY_PATTERN, IsoDatetime, Key
from gateway.store import models as db

# Who a person is, as the caller names them (printable, like every key).
Actor = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=KEY_PATTERN)]


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

    actor: Actor = "api"


class ConfigReloadRead(BaseModel):
    partners: int
    maps: int


class ReplayCreate(BaseModel):
    """What to replay (at least one of them), and whether to apply it (default: only show it)."""

    model_config = ConfigDict(extra="forbid")

    receipt_ids: list[Key] = Field(default_factory=list, max_length=1000)
    document_ids: list[Key] = Field(default_factory=list, max_length=1000)
    partner_id: Key | None = None
    since: IsoDatetime | None = None
    until: IsoDatetime | None = None
    dead_letters: bool = False
    apply: bool = False
    actor: Actor = "api"
