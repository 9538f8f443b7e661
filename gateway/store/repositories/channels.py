"""Channel state: portal webhook ids (de-duplication) and partner API poll cursors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from gateway.store import models as db
from gateway.store.repositories.base import Repository


class PortalWebhookRepository(Repository):
    def claim(
        self, portal: str, webhook_id: str, *, receipt_id: str, partner_id: str, at: dt.datetime
    ) -> db.PortalWebhook | None:
        """Record the first delivery of `webhook_id`; None when it was received before. The unique
        (portal, webhook_id) decides, so two concurrent deliveries cannot both claim it."""
        row = db.PortalWebhook(
            portal=portal, webhook_id=webhook_id, receipt_id=receipt_id, partner_id=partner_id, received_at=at
        )
        try:
            with self.session.begin_nested():
                self.session.add(row)
        except IntegrityError:
            return None
        return row

    def get(self, portal: str, webhook_id: str) -> db.PortalWebhook | None:
        query = select(db.PortalWebhook).where(
            db.PortalWebhook.portal == portal, db.PortalWebhook.webhook_id == webhook_id
        )
        return self.session.scalars(query).one_or_none()


class PollCursorRepository(Repository):
    def get(self, partner_id: str, resource: str) -> db.PollCursor | None:
        return self.session.get(db.PollCursor, (partner_id, resource))

    def for_partner(self, partner_id: str) -> Sequence[db.PollCursor]:
        query = select(db.PollCursor).where(db.PollCursor.partner_id == partner_id)
        return self.session.scalars(query.order_by(db.PollCursor.resource)).all()

    def advance(
        self, partner_id: str, resource: str, cursor: str | None, *, at: dt.datetime, pages: int = 1
    ) -> db.PollCursor:
        """Remember where the next poll of this resource starts (and count the pages read)."""
        row = self.get(partner_id, resource)
        if row is None:
            row = db.PollCursor(partner_id=partner_id, resource=resource, pages=0, updated_at=at)
            self.session.add(row)
        row.cursor = cursor
        row.pages = (row.pages or 0) + pages
        row.updated_at = at
        self.session.flush()
        return row

    def polled(self, partner_id: str, resource: str, *, at: dt.datetime) -> db.PollCursor:
        """Note a completed poll of this resource (its cursor unchanged)."""
        row = self.get(partner_id, resource)
        if row is None:
            row = db.PollCursor(partner_id=partner_id, resource=resource, pages=0, updated_at=at)
            self.session.add(row)
        row.polled_at = at
        row.updated_at = at
        self.session.flush()
        return row
