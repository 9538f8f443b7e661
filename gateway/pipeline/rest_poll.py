"""Partner REST APIs, pulled: poll a partner's confirmations and shipments, store each page as a
receipt, map it with the partner's JSON map.

    poll(rt, "northwind-metals")      # every configured resource, from where the last poll stopped
    sweep(rt)                          # every partner whose `interval_minutes` has passed (a cron job)

Per resource, each page is stored in the same transaction that moves the resource's cursor on (the
cursor the page names for the next, or, on the last page, the cursor that fetched it, so the next
poll reads that page again and sees what was added to it). A page already received (the same bytes)
is a duplicate receipt and changes nothing; a page that changed is read again, and newer versions
win as everywhere. A failed page stops that resource's poll; the pages before it are kept and the
next poll resumes at the failed one.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

import httpx2

from gateway.channels import rest_poll as api
from gateway.errors import PartnerConfigError
from gateway.partners import secrets
from gateway.partners.model import PartnerConfig
from gateway.pipeline import ingest, views
from gateway.pipeline.runtime import Runtime
from gateway.store.repositories.channels import PollCursorRepository
from gateway.store.session import session_scope
from gateway.worker.enqueue import Enqueuer

log = logging.getLogger(__name__)

JOB = "rest_poll.run"
SWEEP_JOB = "rest_poll.sweep"
CHANNEL = "rest_poll"


@dataclass
class ResourceReport:
    resource: str
    cursor_before: str | None
    cursor_after: str | None = None
    receipts: list[str] = field(default_factory=list)
    documents: int = 0
    events: int = 0
    duplicates: int = 0
    error: str | None = None


@dataclass
class PollReport:
    partner_id: str
    resources: list[ResourceReport] = field(default_factory=list)
    error: str | None = None  # the poll did not start (no token, a secret that does not resolve)

    @property
    def ok(self) -> bool:
        return self.error is None and all(r.error is None for r in self.resources)


def settings_of(rt: Runtime, partner: PartnerConfig) -> api.ApiSettings:
    channel = partner.channels.rest_poll
    if channel is None:
        raise PartnerConfigError(f"partner {partner.id} has no channels.rest_poll")
    secret = secrets.resolve(channel.client_secret, base_dir=rt.settings.partners_dir)
    return api.ApiSettings(
        base_url=channel.base_url,
        token_url=channel.token_url,
        client_id=channel.client_id,
        client_secret=secret.get_secret_value(),
        scope=channel.scope,
        page_size=channel.page_size,
        cursor_param=channel.cursor_param,
        limit_param=channel.limit_param,
        next_cursor=channel.next_cursor,
    )


def pollable(rt: Runtime) -> list[PartnerConfig]:
    """Enabled partners with a REST channel."""
    return [p for p in rt.partners.all() if p.enabled and p.channels.rest_poll is not None]


def poll(rt: Runtime, partner_id: str, *, transport: httpx2.BaseTransport | None = None) -> PollReport:
    """Poll one partner's resources (see the module docstring). Channel failures are reported, not
    raised; an unknown partner or one without a REST channel raises."""
    partner = rt.partners.get(partner_id)
    channel = partner.channels.rest_poll
    if channel is None:
        raise PartnerConfigError(f"partner {partner.id} has no channels.rest_poll")
    report = PollReport(partner.id)
    try:
        client = api.PartnerApi(settings_of(rt, partner), transport=transport)
    except PartnerConfigError as exc:
        report.error = exc.detail
        return report
    try:
        client.token()
        for resource, path in (
            ("confirmations", channel.confirmations_path),
            ("shipments", channel.shipments_path),
        ):
            if path is not None:
                report.resources.append(_poll_resource(rt, partner, client, resource, path))
    except api.PollError as exc:
        report.error = exc.detail
    finally:
        client.close()
    log.log(
        logging.INFO if report.ok else logging.WARNING,
        "polled %s: %s",
        partner.id,
        ", ".join(f"{r.resource} {len(r.receipts)} pages" for r in report.resources) or report.error,
    )
    return report


def _poll_resource(
    rt: Runtime, partner: PartnerConfig, client: api.PartnerApi, resource: str, path: str
) -> ResourceReport:
    with session_scope(rt.sessionmaker) as session:
        row = PollCursorRepository(session).get(partner.id, resource)
        start = row.cursor if row is not None else None
    out = ResourceReport(resource, cursor_before=start, cursor_after=start)
    try:
        for page in client.pages(resource, path, start):
            resume = page.next_cursor if page.next_cursor is not None else page.cursor
            with session_scope(rt.sessionmaker) as session:
                receipt_id = ingest.add_receipt(
                    session,
                    rt,
                    page.raw,
                    channel=CHANNEL,
                    file_name=f"{partner.id}/{resource}@{page.cursor or 'start'}"[:512],
                    partner_id=partner.id,
                    transport={
                        "channel": CHANNEL,
                        "resource": resource,
                        "cursor": page.cursor or "",
                        "url": page.url,
                    },
                )
                PollCursorRepository(session).advance(partner.id, resource, resume, at=rt.clock.now())
            out.receipts.append(receipt_id)
            out.cursor_after = resume
    except api.PollError as exc:
        out.error = exc.detail
    with session_scope(rt.sessionmaker) as session:
        PollCursorRepository(session).polled(partner.id, resource, at=rt.clock.now())
        for receipt_id in out.receipts:
            view = views.receipt(session, receipt_id)
            out.duplicates += view.status == "duplicate"
            out.documents += len(view.documents)
            out.events += sum(d.events for d in view.documents)
    return out


def due(rt: Runtime, now: dt.datetime) -> list[PartnerConfig]:
    """Partners whose last poll is `interval_minutes` or more ago (or never happened)."""
    out = []
    with session_scope(rt.sessionmaker) as session:
        cursors = PollCursorRepository(session)
        for partner in pollable(rt):
            assert partner.channels.rest_poll is not None
            interval = dt.timedelta(minutes=partner.channels.rest_poll.interval_minutes)
            times = [c.polled_at for c in cursors.for_partner(partner.id) if c.polled_at is not None]
            if not times or min(times) + interval <= now:
                out.append(partner)
    return out


def sweep(rt: Runtime, jobs: Enqueuer, partners: Iterable[PartnerConfig] | None = None) -> list[str]:
    """Queue (or run inline) a poll of every due partner; the job key is the interval slot, so one
    slot's poll is queued once however often the sweep runs."""
    now = rt.clock.now()
    queued = []
    for partner in due(rt, now) if partners is None else partners:
        assert partner.channels.rest_poll is not None
        slot = int(now.timestamp()) // (partner.channels.rest_poll.interval_minutes * 60)
        jobs.enqueue(JOB, partner.id, key=str(slot))
        queued.append(partner.id)
    return queued
