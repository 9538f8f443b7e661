"""Persistence: SQLAlchemy 2 tables, repositories, sessions and Alembic migrations.

Import by module: `from gateway.store import models as db` then `db.Document`;
`from gateway.store import repositories as repo` then `repo.DocumentRepository(session)`.
Repositories never commit: the caller (a request, a task, a CLI command) commits once, usually
through `gateway.store.session.session_scope`.
"""
