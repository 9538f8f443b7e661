"""A page of the feed: canonical events in cursor order, and where to continue."""

from __future__ import annotations

from pydantic import BaseModel, Field

from gateway import canonical


class EventListRead(BaseModel):
    items: list[canonical.Event]
    next_cursor: int = Field(
        description="Pass as `after` for the next page: the last cursor here, or `after` unchanged "
        "when the page is empty (poll again later)."
    )
