"""`/metrics`: the Prometheus exposition."""
