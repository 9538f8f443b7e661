"""Database and queue fixtures (filled in with the store)."""
