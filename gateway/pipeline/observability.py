"""What `/metrics` reads from the database at scrape time, and the exposition itself.

Counts of stored state are exact whatever the number of processes, because they are queried, not
counted in memory: every API process answers the same figures. When several API pods are scraped,
aggregate these with `max` (not `sum`) across instances. In-process instruments
(`gateway.kit.metrics`: latency, retries, tokens, auth failures) are added by `exposition()`,
summed over every local process in prometheus_client's multiprocess mode when
`PROMETHEUS_MULTIPROC_DIR` is set.

    gateway_documents{direction,partner,format,type,status}   documents stored
    gateway_receipts{channel,status}                           receipts stored
    gateway_backlog{kind}                                      receipts, messages, webhooks waiting
    gateway_queue_depth{queue}                                 jobs in the arq queue (Redis configured)
    gateway_event_feed_lag_events{subscriber}                  events after a subscriber's fan-out position
    gateway_event_feed_lag_seconds{subscriber}                 age of the oldest event not yet fanned out
    gateway_webhook_deliveries{status}                         webhook deliveries by status
    gateway_duplicates{level}                                  duplicate receipts / interchanges stored
    gateway_dead_letters{kind}                                 open dead letters
    gateway_open_exceptions{type,age}                          open and acknowledged exceptions by age bucket
    gateway_sla_breaches{type,partner}                         open SLA cases (missing 997, 855, shipment)
    gateway_sla_breaches_opened{type}                          SLA cases ever opened
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable, Iterable, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import REGISTRY, Collector
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, sessionmaker

from gateway.canonical import ExceptionStatus, ExceptionType
from gateway.kit.clock import Clock
from gateway.store import models as db

log = logging.getLogger(__name__)

ACTIVE = (ExceptionStatus.OPEN, ExceptionStatus.ACKNOWLEDGED)
SLA_TYPES = (ExceptionType.NO_FUNCTIONAL_ACK, ExceptionType.NO_PO_ACK, ExceptionType.SHIPMENT_OVERDUE)
# Age buckets of open exceptions: (label, upper bound in hours).
AGE_BUCKETS: tuple[tuple[str, float], ...] = (
    ("lt_1h", 1),
    ("1h_24h", 24),
    ("1d_7d", 168),
    ("gt_7d", float("inf")),
)


class DatabaseCollector(Collector):
    """Gauges of stored state, read at each scrape (a few grouped COUNT queries)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        clock: Clock,
        *,
        queue_depth: Callable[[], int | None] | None = None,
        queue_name: str = "",
    ) -> None:
        self.factory = factory
        self.clock = clock
        self.queue_depth = queue_depth
        self.queue_name = queue_name

    def describe(self) -> Iterable[Metric]:
        return []  # not checked at registration: the queries run at scrape time only

    def collect(self) -> Iterator[Metric]:
        with self.factory() as session:
            yield from self._documents(session)
            yield from self._receipts(session)
            yield from self._backlog_and_feed(session)
            yield from self._failures(session)
            yield from self._exceptions(session)
        if self.queue_depth is not None:
            depth = GaugeMetricFamily(
                "gateway_queue_depth", "Jobs waiting in the arq queue.", labels=["queue"]
            )
            try:
                value = self.queue_depth()
            except Exception as error:  # Redis down: the gauge is left out, the scrape still answers
                log.warning("metrics: queue depth unavailable: %s", error)
                value = None
            if value is not None:
                depth.add_metric([self.queue_name], value)
                yield depth

    def _documents(self, session: Session) -> Iterator[Metric]:
        documents = GaugeMetricFamily(
            "gateway_documents",
            "Documents stored, by direction, partner, format, type and status.",
            labels=["direction", "partner", "format", "type", "status"],
        )
        d = db.Document
        query = select(d.direction, d.partner_id, d.format, d.doc_type, d.status, func.count()).group_by(
            d.direction, d.partner_id, d.format, d.doc_type, d.status
        )
        for direction, partner, fmt, doc_type, status, n in session.execute(query):
            documents.add_metric([str(direction), partner or "", fmt, doc_type, str(status)], n)
        yield documents

    def _receipts(self, session: Session) -> Iterator[Metric]:
        receipts = GaugeMetricFamily(
            "gateway_receipts", "Receipts stored, by channel and status.", labels=["channel", "status"]
        )
        r = db.Receipt
        for channel, status, n in session.execute(
            select(r.channel, r.status, func.count()).group_by(r.channel, r.status)
        ):
            receipts.add_metric([channel, str(status)], n)
        yield receipts
        duplicates = GaugeMetricFamily(
            "gateway_duplicates",
            "Duplicates stored: copies of a receipt or an interchange.",
            labels=["level"],
        )
        duplicates.add_metric(["receipt"], _count(session, r, r.status == db.ReceiptStatus.DUPLICATE))
        i = db.Interchange
        duplicates.add_metric(["interchange"], _count(session, i, i.status == db.InterchangeStatus.DUPLICATE))
        yield duplicates

    def _backlog_and_feed(self, session: Session) -> Iterator[Metric]:
        backlog = GaugeMetricFamily(
            "gateway_backlog",
            "Work items waiting: receipts to process, messages and webhooks to deliver.",
            labels=["kind"],
        )
        backlog.add_metric(
            ["receipt"], _count(session, db.Receipt, db.Receipt.status == db.ReceiptStatus.RECEIVED)
        )
        m = db.OutboundMessage
        backlog.add_metric(
            ["outbound_message"],
            _count(
                session,
                m,
                m.delivered_at.is_(None)
                & m.next_attempt_at.is_not(None)
                & (m.status != db.OutboundStatus.DEAD_LETTER),
            ),
        )
        w = db.WebhookDelivery
        backlog.add_metric(["webhook_delivery"], _count(session, w, w.status == db.DeliveryStatus.PENDING))
        yield backlog

        deliveries = GaugeMetricFamily(
            "gateway_webhook_deliveries", "Webhook deliveries by status.", labels=["status"]
        )
        for status, n in session.execute(select(w.status, func.count()).group_by(w.status)):
            deliveries.add_metric([str(status)], n)
        yield deliveries

        lag_events = GaugeMetricFamily(
            "gateway_event_feed_lag_events",
            "Events after a subscriber's fan-out position.",
            labels=["subscriber"],
        )
        lag_seconds = GaugeMetricFamily(
            "gateway_event_feed_lag_seconds",
            "Age of the oldest event a subscriber's fan-out has not reached (0 when caught up).",
            labels=["subscriber"],
        )
        now = self.clock.now()
        e = db.OutboxEvent
        for fanout in session.scalars(select(db.WebhookFanout)):
            behind, oldest = session.execute(
                select(func.count(), func.min(e.recorded_at)).where(e.cursor > fanout.last_cursor)
            ).one()
            lag_events.add_metric([fanout.subscriber_id], behind)
            oldest_at = _aware(oldest)
            lag_seconds.add_metric(
                [fanout.subscriber_id], max((now - oldest_at).total_seconds(), 0) if oldest_at else 0
            )
        yield lag_events
        yield lag_seconds

    def _failures(self, session: Session) -> Iterator[Metric]:
        dead = GaugeMetricFamily(
            "gateway_dead_letters", "Open dead letters, by kind of item.", labels=["kind"]
        )
        counts = dict(
            session.execute(
                select(db.DeadLetter.kind, func.count())
                .where(db.DeadLetter.resolved_at.is_(None))
                .group_by(db.DeadLetter.kind)
            ).all()
        )
        for kind in db.DeadLetterKind:
            dead.add_metric([str(kind)], counts.get(kind, 0))
        yield dead

    def _exceptions(self, session: Session) -> Iterator[Metric]:
        now = self.clock.now()
        c = db.ExceptionCase
        # The age bucket is computed in SQL, so a scrape reads a few grouped rows, not every case.
        bucket = case(
            *[(c.opened_at > now - dt.timedelta(hours=bound), label) for label, bound in AGE_BUCKETS[:-1]],
            else_=AGE_BUCKETS[-1][0],
        )
        by_age: dict[tuple[str, str], int] = {}
        sla_open: dict[tuple[str, str], int] = {}
        grouped = select(c.type, c.partner_id, bucket, func.count()).where(c.status.in_(ACTIVE))
        for type_, partner, age, n in session.execute(grouped.group_by(c.type, c.partner_id, bucket)):
            key = (str(type_), str(age))
            by_age[key] = by_age.get(key, 0) + n
            if type_ in SLA_TYPES:
                sla_open[(str(type_), partner)] = sla_open.get((str(type_), partner), 0) + n
        open_cases = GaugeMetricFamily(
            "gateway_open_exceptions",
            "Open and acknowledged exceptions by type and age.",
            labels=["type", "age"],
        )
        for (type_name, age), n in sorted(by_age.items()):
            open_cases.add_metric([type_name, age], n)
        yield open_cases
        breaches = GaugeMetricFamily(
            "gateway_sla_breaches",
            "Open SLA cases (no 997, no 855, shipment overdue).",
            labels=["type", "partner"],
        )
        for (type_name, partner_id), n in sorted(sla_open.items()):
            breaches.add_metric([type_name, partner_id], n)
        yield breaches
        opened = GaugeMetricFamily(
            "gateway_sla_breaches_opened", "SLA cases ever opened (open or closed since).", labels=["type"]
        )
        ever = dict(
            session.execute(select(c.type, func.count()).where(c.type.in_(SLA_TYPES)).group_by(c.type)).all()
        )
        for type_ in SLA_TYPES:
            opened.add_metric([str(type_)], ever.get(type_, 0))
        yield opened


def _count(session: Session, model: type[db.Base], condition: object) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(condition)) or 0)  # type: ignore[arg-type]


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def process_registry() -> CollectorRegistry:
    """The in-process instruments: all local processes' in multiprocess mode, else this one's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


def exposition(database: DatabaseCollector | None) -> bytes:
    """The text exposition: in-process instruments, then the database gauges."""
    out = generate_latest(process_registry())
    if database is not None:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(database)
        out += generate_latest(registry)
    return out
