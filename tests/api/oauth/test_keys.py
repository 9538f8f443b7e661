"""Signing keys: sealed at rest, rotated with the previous key published until its tokens expire."""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest
from pydantic import SecretStr

from gateway.api.oauth import keys
from gateway.api.oauth.authority import Authority
from gateway.api.oauth.crypto import SecretKeyError, ServerSecrets
from gateway.kit.clock import FixedClock
from gateway.pipeline.runtime import Runtime
from gateway.settings import OAuthSettings
from gateway.store import repositories as repo
from gateway.store.session import session_scope
from tests.api.auth import Tokens
from tests.api.oauth.test_token import segments

pytestmark = pytest.mark.anyio


def clock_of(runtime: Runtime) -> FixedClock:
    assert isinstance(runtime.clock, FixedClock)
    return runtime.clock


def rotate(runtime: Runtime) -> keys.Rotation:
    authority = Authority.from_settings(runtime.settings)
    with session_scope(runtime.sessionmaker) as session:
        return keys.rotate(
            session, authority.secrets, authority.alg, runtime.clock.now(), authority.token_ttl
        )


async def kids(anonymous: httpx.AsyncClient) -> set[str]:
    return {key["kid"] for key in (await anonymous.get("/.well-known/jwks.json")).json()["keys"]}


async def test_after_a_rotation_old_tokens_still_work_until_they_expire_and_new_ones_use_the_new_key(
    anonymous: httpx.AsyncClient, tokens: Tokens, runtime: Runtime
) -> None:
    credentials = tokens.register(role="admin")
    old_token = await tokens.token(credentials)
    old_kid = segments(old_token)[0]["kid"]

    rotation = rotate(runtime)

    assert rotation.retired is not None
    assert rotation.retired.kid == old_kid
    new_token = await tokens.token(credentials)
    assert segments(new_token)[0]["kid"] == rotation.active.kid != old_kid
    assert {old_kid, rotation.active.kid} <= await kids(anonymous)
    for token in (old_token, new_token):
        answer = await anonymous.get("/v1/events", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text

    clock_of(runtime).advance(dt.timedelta(hours=1, minutes=2))  # the old key's tokens have expired

    published = await kids(anonymous)
    assert old_kid not in published
    assert rotation.active.kid in published
    expired = await anonymous.get("/v1/events", headers={"Authorization": f"Bearer {old_token}"})
    assert expired.status_code == 401


async def test_the_private_key_is_stored_sealed_and_opens_only_with_the_master_secret(
    tokens: Tokens, runtime: Runtime
) -> None:
    await tokens.internal()  # a token was signed: there is an active key
    authority = Authority.from_settings(runtime.settings)
    with session_scope(runtime.sessionmaker) as session:
        row = repo.SigningKeyRepository(session).active()
    assert row is not None

    private = keys.private_key(row, authority.secrets).as_dict(private=True)
    assert row.private_jwe.count(".") == 4  # a JWE compact serialization
    assert str(private["d"]) not in row.private_jwe
    assert "d" not in row.public_jwk
    assert json.loads(json.dumps(row.public_jwk))["kid"] == row.kid
    other = ServerSecrets.from_settings(
        runtime.settings.model_copy(update={"oauth": OAuthSettings(secret_key=SecretStr("x" * 40))})
    )
    with pytest.raises(SecretKeyError):
        keys.private_key(row, other)


async def test_the_embedded_default_creates_its_master_secret_once_with_private_permissions(
    runtime: Runtime,
) -> None:
    settings = runtime.settings.model_copy(update={"oauth": OAuthSettings()})

    first = ServerSecrets.from_settings(settings)
    again = ServerSecrets.from_settings(settings)

    path = settings.data_dir / "oauth-secret.key"
    assert path.stat().st_mode & 0o777 == 0o600
    assert first == again
