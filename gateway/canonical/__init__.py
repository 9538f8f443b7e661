"""The canonical contract every channel produces: orders, demand, commitments, shipments, exceptions, events.

Import by module: `from gateway import canonical` then `canonical.Shipment`.
"""

from gateway.canonical.events import (
    SCHEMA_VERSION,
    CanonicalEvent,
    Event,
    EventType,
    event_json_schema,
)
from gateway.canonical.exceptions import ExceptionCase, ExceptionStatus, ExceptionType, OwnerRole
from gateway.canonical.models import (
    AckStatus,
    CanonicalModel,
    Commitment,
    CommitmentLine,
    CommitmentStatus,
    ComponentRequirement,
    FunctionalAck,
    FunctionalAckSet,
    GoodsReceipt,
    LineAction,
    Package,
    ProductionOrder,
    PurchaseOrder,
    PurchaseOrderLine,
    ScheduleLine,
    Shipment,
    ShipmentLine,
    ShipmentPurpose,
    StockLevel,
    VersionStamp,
)

__all__ = [
    "SCHEMA_VERSION",
    "AckStatus",
    "CanonicalEvent",
    "CanonicalModel",
    "Commitment",
    "CommitmentLine",
    "CommitmentStatus",
    "ComponentRequirement",
    "Event",
    "EventType",
    "ExceptionCase",
    "ExceptionStatus",
    "ExceptionType",
    "FunctionalAck",
    "FunctionalAckSet",
    "GoodsReceipt",
    "LineAction",
    "OwnerRole",
    "Package",
    "ProductionOrder",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "ScheduleLine",
    "Shipment",
    "ShipmentLine",
    "ShipmentPurpose",
    "StockLevel",
    "VersionStamp",
    "event_json_schema",
]
