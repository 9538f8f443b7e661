"""Fault tests start real processes (redis-server, `gateway worker`, `gateway serve`) on loopback."""
