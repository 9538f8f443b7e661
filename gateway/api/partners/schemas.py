"""A partner's status: its channels' last documents, its error rate and its SLA breaches."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from gateway.canonical.exceptions import ExceptionType
from gateway.store import models as db


class ChannelActivityRead(BaseModel):
    channel: str = Field(description="filedrop, api (JSON), http (raw EDI over the API), as2, ...")
    last_received_at: dt.datetime
    last_receipt_id: str
    last_status: db.ReceiptStatus
    last_file_name: str | None


class SlaBreachRead(BaseModel):
    type: ExceptionType
    open: int
    oldest_opened_at: dt.datetime | None


class OutboundActivityRead(BaseModel):
    kind: str
    interchange_control: str | None
    status: db.OutboundStatus
    created_at: dt.datetime


class PartnerStatusRead(BaseModel):
    partner_id: str
    name: str
    enabled: bool
    mode: str
    channels: list[ChannelActivityRead] = Field(description="The last document received per channel.")
    last_outbound: OutboundActivityRead | None
    window_days: int
    documents: int = Field(description="Documents received in the window (unreadable files count as one).")
    failed: int
    error_rate: float | None = Field(
        description="failed / documents in the window; null when there were none."
    )
    sla_breaches: list[SlaBreachRead] = Field(
        description="Open no_functional_ack, no_po_ack, shipment_overdue."
    )
    open_exceptions: int


class PartnerStatusListRead(BaseModel):
    items: list[PartnerStatusRead]
