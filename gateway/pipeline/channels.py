"""The channels' background duty in one sweep: file-drop pick-up, then the AS2 sends and
asynchronous MDNs that are due again. `gateway channels run` and `watch` call it."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from gateway.pipeline import as2_outbound, filedrop
from gateway.pipeline.runtime import Runtime


@dataclass
class ChannelsReport:
    at: dt.datetime
    filedrop: filedrop.SweepReport
    as2: list[as2_outbound.Attempt] = field(default_factory=list)


def sweep(rt: Runtime, *, partner_id: str | None = None) -> ChannelsReport:
    picked = filedrop.sweep(rt, partner_id=partner_id)
    return ChannelsReport(
        at=picked.at, filedrop=picked, as2=as2_outbound.retry_due(rt, partner_id=partner_id)
    )


def watch(
    rt: Runtime,
    *,
    stop: threading.Event,
    on_sweep: Callable[[ChannelsReport], None],
    partner_id: str | None = None,
) -> None:
    """Sweep at start, on every inbox change and every `filedrop.interval_s`, until `stop` is set."""

    def both(picked: filedrop.SweepReport) -> None:
        on_sweep(ChannelsReport(picked.at, picked, as2_outbound.retry_due(rt, partner_id=partner_id)))

    filedrop.watch(rt, stop=stop, on_sweep=both, partner_id=partner_id)
