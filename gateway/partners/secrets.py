"""Secret references: partner files name where a secret lives (`env:NAME`, `file:PATH`), never the secret.

`resolve` reads the value at the edge that needs it (a request check, an outbound call); nothing
caches it, so a rotated secret is picked up without a restart. `missing` lists the references that
do not resolve, for `gateway partners validate`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path

from pydantic import SecretStr

from gateway.errors import PartnerConfigError
from gateway.partners.model import PartnerConfig


def resolve(ref: str, *, base_dir: Path, environ: Mapping[str, str] | None = None) -> SecretStr:
    """The secret a reference names; `PartnerConfigError` (naming the reference, never a value) when
    it does not resolve."""
    env = os.environ if environ is None else environ
    kind, _, name = ref.partition(":")
    if kind == "env":
        value = env.get(name)
        if not value:
            raise PartnerConfigError(f"secret {ref}: the environment variable {name} is not set", ref=ref)
        return SecretStr(value)
    if kind == "file":
        path = Path(name)
        path = path if path.is_absolute() else base_dir / path
        try:
            value = path.read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise PartnerConfigError(f"secret {ref}: cannot read {path}: {exc}", ref=ref) from None
        if not value:
            raise PartnerConfigError(f"secret {ref}: {path} is empty", ref=ref)
        return SecretStr(value)
    raise PartnerConfigError(f"secret reference {ref!r} is neither env:NAME nor file:PATH", ref=ref)


def references(config: PartnerConfig) -> Iterator[tuple[str, str]]:
    """(field path, reference) for every secret a partner file references."""
    if config.cxml is not None:
        yield "cxml.shared_secret", config.cxml.shared_secret
    if config.portal is not None:
        for i, ref in enumerate(config.portal.secrets):
            yield f"portal.secrets[{i}]", ref
    poll = config.channels.rest_poll
    if poll is not None:
        yield "channels.rest_poll.client_secret", poll.client_secret


def missing(config: PartnerConfig, *, base_dir: Path, environ: Mapping[str, str] | None = None) -> list[str]:
    """A message per secret reference of `config` that does not resolve."""
    out = []
    for where, ref in references(config):
        try:
            resolve(ref, base_dir=base_dir, environ=environ)
        except PartnerConfigError as exc:
            out.append(f"{config.id}: {where}: {exc.detail}")
    return out
