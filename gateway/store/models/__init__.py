"""Every table of the gateway, in one package (one module per area).

Import by module: `from gateway.store import models as db`, then `db.Receipt`, `db.ExceptionCase`.
"""

from gateway.store.base import Base
from gateway.store.models.as2 import AS2Mdn, AS2Message, AS2Status, MdnDelivery
from gateway.store.models.cases import ExceptionCase, ExceptionHistory
from gateway.store.models.channels import PollCursor, PortalWebhook
from gateway.store.models.erp import (
    ComponentRequirement,
    ProductionOrder,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
)
from gateway.store.models.idempotency import IdempotencyRecord
from gateway.store.models.intake import (
    Direction,
    Document,
    DocumentStatus,
    Interchange,
    InterchangeStatus,
    ProcessingStep,
    Receipt,
    ReceiptStatus,
    Stage,
    StepStatus,
)
from gateway.store.models.messaging import (
    ControlKind,
    ControlNumber,
    OutboundMessage,
    OutboundStatus,
    OutboxEvent,
)
from gateway.store.models.oauth import ClientAssertion, OAuthClient, OAuthToken, SigningKey
from gateway.store.models.operations import AuditEntry, DeadLetter, DeadLetterKind
from gateway.store.models.stock import GoodsReceipt, StockLevel
from gateway.store.models.supply import Commitment, Shipment, ShipmentLine
from gateway.store.models.webhooks import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookFanout

metadata = Base.metadata

__all__ = [
    "AS2Mdn",
    "AS2Message",
    "AS2Status",
    "AuditEntry",
    "Base",
    "ClientAssertion",
    "Commitment",
    "ComponentRequirement",
    "ControlKind",
    "ControlNumber",
    "DeadLetter",
    "DeadLetterKind",
    "DeliveryStatus",
    "Direction",
    "Document",
    "DocumentStatus",
    "ExceptionCase",
    "ExceptionHistory",
    "GoodsReceipt",
    "IdempotencyRecord",
    "Interchange",
    "InterchangeStatus",
    "MdnDelivery",
    "OAuthClient",
    "OAuthToken",
    "OutboundMessage",
    "OutboundStatus",
    "OutboxEvent",
    "PollCursor",
    "PortalWebhook",
    "ProcessingStep",
    "ProductionOrder",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "PurchaseOrderStatus",
    "Receipt",
    "ReceiptStatus",
    "Shipment",
    "ShipmentLine",
    "SigningKey",
    "Stage",
    "StepStatus",
    "StockLevel",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookFanout",
    "metadata",
]
