"""Purchase orders with the supplier's progress per line (acknowledged, committed, shipped, received)."""
