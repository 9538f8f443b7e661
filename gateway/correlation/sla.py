"""Service-level rules on a line's ledger (pure): what the monitors open and the Applier clears."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from gateway.correlation.ledger import LineLedger


def overdue_quantity(ledger: LineLedger, grace_days: int, today: dt.date) -> Decimal | None:
    """What a committed line still has to ship after its committed date plus the grace days, or None
    when nothing is overdue: no commitment or no committed date, rejected (committed 0), cancelled,
    not yet due, or shipped (or received) in full. The committed date is taken as it is, whether the
    supplier committed a ship or a delivery date."""
    if ledger.cancelled or not ledger.has_commitment or ledger.committed_date is None:
        return None
    committed = ledger.committed_quantity
    if committed is None or committed <= 0:
        return None
    if today <= ledger.committed_date + dt.timedelta(days=grace_days):
        return None
    missing = committed - max(ledger.shipped_total, ledger.received_quantity)
    return missing if missing > 0 else None
