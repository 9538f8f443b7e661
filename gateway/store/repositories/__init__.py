"""Repositories: every query of the gateway, one class per area.

Each takes the caller's `Session` (and optionally a `Clock`) and never commits.
Import by module: `from gateway.store import repositories as repo`.
"""

from gateway.store.repositories.activity import PartnerActivityRepository
from gateway.store.repositories.base import Repository
from gateway.store.repositories.cases import ExceptionRepository
from gateway.store.repositories.erp import ProductionOrderRepository, PurchaseOrderRepository
from gateway.store.repositories.idempotency import IdempotencyRepository
from gateway.store.repositories.intake import (
    DocumentRepository,
    InterchangeRepository,
    ProcessingStepRepository,
    ReceiptRepository,
)
from gateway.store.repositories.messaging import (
    MAX_CONTROL_NUMBER,
    ControlNumberRepository,
    OutboundMessageRepository,
    OutboxRepository,
)
from gateway.store.repositories.oauth import (
    ClientAssertionRepository,
    OAuthClientRepository,
    OAuthTokenRepository,
    SigningKeyRepository,
)
from gateway.store.repositories.stock import GoodsReceiptRepository, StockRepository
from gateway.store.repositories.supply import (
    CommitmentRepository,
    ShipmentRepository,
    ShipmentUpsert,
    ShippedTotal,
    UpsertOutcome,
)
from gateway.store.repositories.webhooks import WebhookRepository

__all__ = [
    "MAX_CONTROL_NUMBER",
    "ClientAssertionRepository",
    "CommitmentRepository",
    "ControlNumberRepository",
    "DocumentRepository",
    "ExceptionRepository",
    "GoodsReceiptRepository",
    "IdempotencyRepository",
    "InterchangeRepository",
    "OAuthClientRepository",
    "OAuthTokenRepository",
    "OutboundMessageRepository",
    "OutboxRepository",
    "PartnerActivityRepository",
    "ProcessingStepRepository",
    "ProductionOrderRepository",
    "PurchaseOrderRepository",
    "ReceiptRepository",
    "Repository",
    "ShipmentRepository",
    "ShipmentUpsert",
    "ShippedTotal",
    "SigningKeyRepository",
    "StockRepository",
    "UpsertOutcome",
    "WebhookRepository",
]
