"""The audit log's writers: who or what changed what.

Exception changes are recorded by the exception repository (every change by someone other than the
rules themselves); the rest goes through here:

    audit.record(session, actor="cli:ana", action="replay.applied", subject="receipt:<id>", detail={...})
    audit.reload_config(rt, actor="api:ops")      # partners/ and edi_maps/ read again, and recorded
    audit.key_rotated(session, actor=..., key_id=...)   # for the OAuth signing keys

Actors read `cli:<user>`, `api:<client>` or `worker`.
"""

from __future__ import annotations

import getpass
from typing import Any

from sqlalchemy.orm import Session

from gateway.kit import logs
from gateway.pipeline.runtime import Runtime
from gateway.store.repositories.operations import AuditRepository
from gateway.store.session import session_scope


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in this environment (a container)
        return "cli"


def record(
    session: Session, *, actor: str, action: str, subject: str, detail: dict[str, Any] | None = None
) -> None:
    AuditRepository(session).record(
        actor=actor, action=action, subject=subject, detail=detail, correlation_id=logs.correlation_id()
    )


def reload_config(rt: Runtime, *, actor: str) -> tuple[int, int]:
    """Reload partners and maps in this process (an invalid file raises and changes nothing) and
    record who did it; returns (partners, maps) loaded."""
    partners, maps = rt.reload_config()
    counts = (len(partners), len(maps.map_keys()))
    with session_scope(rt.sessionmaker) as session:
        record(
            session,
            actor=actor,
            action="partners.reloaded",
            subject="partners",
            detail={"partners": counts[0], "maps": counts[1], "partners_dir": str(rt.settings.partners_dir)},
        )
    return counts


def key_rotated(session: Session, *, actor: str, key_id: str, detail: dict[str, Any] | None = None) -> None:
    """Call when a signing key (the OAuth server's JWKS) is rotated."""
    record(session, actor=actor, action="key.rotated", subject=f"key:{key_id}", detail=detail)
