"""Benchmarks run by `make bench` (speed is measured here, never asserted in tests)."""
