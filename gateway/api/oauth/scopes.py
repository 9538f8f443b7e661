"""Scopes and internal roles.

A client is bound to exactly one partner (a supplier: supplier scopes only, and only its own data)
or to one internal role (internal scopes only, up to what the role allows). Supplier scopes are
listed in the partner schema (`gateway.partners.model.SupplierScope`), which partner files name.
"""

from __future__ import annotations

from enum import StrEnum

from gateway.partners.model import SupplierScope


class InternalScope(StrEnum):
    PROCUREMENT_READ = "procurement:read"  # purchase and production orders, exceptions, documents
    PROCUREMENT_WRITE = "procurement:write"  # ERP imports, acting on exceptions
    EVENTS_READ = "events:read"  # the event feed
    PARTNERS_ADMIN = "partners:admin"  # token introspection and revocation, partner status


class Role(StrEnum):
    """Who an internal client is; each role has a ceiling of scopes it may be given."""

    ERP = "erp"  # the ERP pushing orders and demand
    PLANNING = "planning"  # buyers' and planners' tools
    INTEGRATION = "integration"  # event consumers, monitoring
    ADMIN = "admin"  # gateway administrators


ROLE_SCOPES: dict[Role, frozenset[str]] = {
    Role.ERP: frozenset({InternalScope.PROCUREMENT_READ, InternalScope.PROCUREMENT_WRITE}),
    Role.PLANNING: frozenset(
        {InternalScope.PROCUREMENT_READ, InternalScope.PROCUREMENT_WRITE, InternalScope.EVENTS_READ}
    ),
    Role.INTEGRATION: frozenset({InternalScope.PROCUREMENT_READ, InternalScope.EVENTS_READ}),
    Role.ADMIN: frozenset(InternalScope),
}

SUPPLIER_SCOPES: frozenset[str] = frozenset(SupplierScope)
INTERNAL_SCOPES: frozenset[str] = frozenset(InternalScope)
ALL_SCOPES: tuple[str, ...] = (*SupplierScope, *InternalScope)

DESCRIPTIONS: dict[str, str] = {
    SupplierScope.ORDERS_READ: "A supplier reads its purchase orders and their open lines.",
    SupplierScope.COMMITMENTS_WRITE: "A supplier posts commitments (order acknowledgements).",
    SupplierScope.SHIPMENTS_WRITE: "A supplier posts shipments (ship notices).",
    SupplierScope.EXCEPTIONS_READ: "A supplier reads the exceptions about its lines and documents.",
    SupplierScope.EDI_WRITE: "A supplier uploads raw X12 or EDIFACT.",
    InternalScope.PROCUREMENT_READ: "Read purchase and production orders, exceptions, documents, partners.",
    InternalScope.PROCUREMENT_WRITE: "Import ERP data and act on exceptions.",
    InternalScope.EVENTS_READ: "Read the event feed.",
    InternalScope.PARTNERS_ADMIN: "Introspect and revoke tokens.",
}


def allowed_for(*, partner_id: str | None, role: str | None) -> frozenset[str]:
    """The scopes a client of this owner may hold."""
    if partner_id is not None:
        return SUPPLIER_SCOPES
    if role is not None:
        return ROLE_SCOPES[Role(role)]
    return frozenset()


def parse(scope: str | None) -> tuple[str, ...]:
    """A space-separated scope string as a sorted tuple without repeats."""
    return tuple(sorted(set((scope or "").split())))


def render(scopes: tuple[str, ...] | list[str] | frozenset[str]) -> str:
    return " ".join(sorted(set(scopes)))
