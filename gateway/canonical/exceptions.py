"""Exception cases: the problems a buyer, planner or operator works on."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, Field

from gateway.canonical.models import CanonicalModel


class ExceptionType(StrEnum):
    UNKNOWN_PO = "unknown_po"
    UNKNOWN_LINE = "unknown_line"
    ITEM_MISMATCH = "item_mismatch"
    UNIT_NOT_CONVERTIBLE = "unit_not_convertible"
    REJECTED_LINE = "rejected_line"
    QUANTITY_SHORT = "quantity_short"
    QUANTITY_OVER = "quantity_over"
    DATE_LATE = "date_late"
    PRICE_MISMATCH = "price_mismatch"
    SHIPMENT_WITHOUT_COMMITMENT = "shipment_without_commitment"
    OVER_SHIPMENT = "over_shipment"
    NO_FUNCTIONAL_ACK = "no_functional_ack"
    NO_PO_ACK = "no_po_ack"
    PRODUCTION_AT_RISK = "production_at_risk"
    DOCUMENT_REJECTED = "document_rejected"
    STALE_UPDATE = "stale_update"
    TRANSMISSION_REJECTED = "transmission_rejected"
    SHIPMENT_OVERDUE = "shipment_overdue"  # nothing (or not all) shipped by the committed date + grace


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class OwnerRole(StrEnum):
    BUYER = "buyer"
    PLANNER = "planner"
    DATA_STEWARD = "data_steward"
    INTEGRATION_OPERATIONS = "integration_operations"


class ExceptionStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    AUTO_RESOLVED = "auto_resolved"


OWNERS: dict[ExceptionType, OwnerRole] = {
    ExceptionType.UNKNOWN_PO: OwnerRole.DATA_STEWARD,
    ExceptionType.UNKNOWN_LINE: OwnerRole.DATA_STEWARD,
    ExceptionType.ITEM_MISMATCH: OwnerRole.DATA_STEWARD,
    ExceptionType.UNIT_NOT_CONVERTIBLE: OwnerRole.DATA_STEWARD,
    ExceptionType.REJECTED_LINE: OwnerRole.BUYER,
    ExceptionType.QUANTITY_SHORT: OwnerRole.BUYER,
    ExceptionType.QUANTITY_OVER: OwnerRole.BUYER,
    ExceptionType.DATE_LATE: OwnerRole.BUYER,
    ExceptionType.PRICE_MISMATCH: OwnerRole.BUYER,
    ExceptionType.SHIPMENT_WITHOUT_COMMITMENT: OwnerRole.BUYER,
    ExceptionType.OVER_SHIPMENT: OwnerRole.BUYER,
    ExceptionType.NO_FUNCTIONAL_ACK: OwnerRole.INTEGRATION_OPERATIONS,
    ExceptionType.NO_PO_ACK: OwnerRole.BUYER,
    ExceptionType.PRODUCTION_AT_RISK: OwnerRole.PLANNER,
    ExceptionType.DOCUMENT_REJECTED: OwnerRole.INTEGRATION_OPERATIONS,
    ExceptionType.STALE_UPDATE: OwnerRole.INTEGRATION_OPERATIONS,
    ExceptionType.TRANSMISSION_REJECTED: OwnerRole.INTEGRATION_OPERATIONS,
    ExceptionType.SHIPMENT_OVERDUE: OwnerRole.BUYER,
}


class ExceptionCase(CanonicalModel):
    """One problem about one subject. `subject` is the de-duplication key: one open case per
    (type, subject), e.g. `po:4500001:line:2` or `document:<id>`."""

    type: ExceptionType
    severity: Severity
    partner_id: str
    subject: str
    po_number: str | None = None
    line_number: str | None = None
    expected: str | None = None
    actual: str | None = None
    message: str
    owner: OwnerRole
    document_id: str | None = None
    impacted_production_orders: tuple[str, ...] = ()
    status: ExceptionStatus = ExceptionStatus.OPEN
    opened_at: AwareDatetime | None = None
    details: dict[str, str] = Field(default_factory=dict)
