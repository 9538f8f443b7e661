"""Probe answers."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class HealthRead(BaseModel):
    status: Literal["ok"] = "ok"
    version: str


class ReadinessRead(BaseModel):
    status: Literal["ready"] = "ready"
    database: Literal["ok"] = "ok"
    queue: Literal["ok", "inline"] = "inline"  # "inline": no Redis configured, jobs run in-process
