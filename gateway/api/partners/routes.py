"""`/v1/partners` and `/v1/partners/{partner_id}`: each configured partner's status."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy.orm import Session

from gateway.api import problems
from gateway.api.deps import DbSession, ProcurementRead, RuntimeDep
from gateway.api.params import Key
from gateway.api.partners import schemas
from gateway.partners.model import PartnerConfig
from gateway.store import repositories as repo

router = APIRouter(tags=["partners"], responses=problems.responses(401, 403, 429))

WindowDays = Annotated[int, Query(ge=1, le=366, description="The error rate's window, in days.")]
PartnerId = Annotated[Key, Path(description="The partner's id (its file name in partners/).")]


def _status(
    session: Session, partner: PartnerConfig, now: dt.datetime, days: int
) -> schemas.PartnerStatusRead:
    activity = repo.PartnerActivityRepository(session)
    counts = activity.counts_since(partner.id, now - dt.timedelta(days=days))
    outbound = activity.last_outbound(partner.id)
    return schemas.PartnerStatusRead(
        partner_id=partner.id,
        name=partner.name,
        enabled=partner.enabled,
        mode=str(partner.mode),
        channels=[
            schemas.ChannelActivityRead(
                channel=r.channel,
                last_received_at=r.received_at,
                last_receipt_id=r.id,
                last_status=r.status,
                last_file_name=r.file_name,
            )
            for r in activity.last_receipts(partner.id)
        ],
        last_outbound=(
            schemas.OutboundActivityRead(
                kind=outbound.kind,
                interchange_control=outbound.interchange_control,
                status=outbound.status,
                created_at=outbound.created_at,
            )
            if outbound is not None
            else None
        ),
        window_days=days,
        documents=counts.documents,
        failed=counts.failed,
        error_rate=round(counts.failed / counts.documents, 4) if counts.documents else None,
        sla_breaches=[
            schemas.SlaBreachRead(type=b.type, open=b.open, oldest_opened_at=b.oldest_opened_at)
            for b in activity.sla_breaches(partner.id)
        ],
        open_exceptions=activity.open_exceptions(partner.id),
    )


@router.get(
    "/v1/partners",
    response_model=schemas.PartnerStatusListRead,
    summary="Every configured partner's status: last document per channel, error rate, SLA breaches",
    responses=problems.responses(422),
)
def list_partners(
    session: DbSession, runtime: RuntimeDep, caller: ProcurementRead, days: WindowDays = 7
) -> schemas.PartnerStatusListRead:
    now = runtime.clock.now()
    return schemas.PartnerStatusListRead(
        items=[_status(session, p, now, days) for p in runtime.partners.all()]
    )


@router.get(
    "/v1/partners/{partner_id}",
    response_model=schemas.PartnerStatusRead,
    summary="One partner's status",
    responses=problems.responses(404, 422),
)
def get_partner(
    partner_id: PartnerId,
    session: DbSession,
    runtime: RuntimeDep,
    caller: ProcurementRead,
    days: WindowDays = 7,
) -> schemas.PartnerStatusRead:
    return _status(session, runtime.partners.get(partner_id), runtime.clock.now(), days)
