"""Alembic environment and versions of the gateway schema. Run them through `gateway.store.migrate`."""
