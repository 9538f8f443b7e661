"""Production orders with their component requirements and the risk to each (production at risk)."""
