"""What the API builds once per process beside the `Runtime`, on first use (so `create_app()` itself
touches no file and no database, and `create_app().openapi()` works anywhere):

- the OAuth `Authority` (issuer, token lifetime, server secrets); building it also brings the
  partner files' API clients into the database and makes sure a signing key exists;
- the rate limiter: in memory, or on Redis when `GATEWAY_REDIS_URL` is set.
"""

from __future__ import annotations

import threading

from gateway.api.oauth import clients, keys
from gateway.api.oauth.authority import Authority
from gateway.api.ratelimit import MemoryTokenBucket, RateLimiter, RedisTokenBucket
from gateway.pipeline.runtime import Runtime
from gateway.store.session import session_scope


class ApiServices:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._authority: Authority | None = None
        self._limiter: RateLimiter | None = None

    def authority(self, rt: Runtime) -> Authority:
        with self._lock:
            if self._authority is None:
                authority = Authority.from_settings(rt.settings)
                with session_scope(rt.sessionmaker) as session:
                    now = rt.clock.now()
                    clients.sync_from_partners(session, rt.partners, now)
                    keys.ensure_active(session, authority.secrets, authority.alg, now)
                self._authority = authority
            return self._authority

    def limiter(self, rt: Runtime) -> RateLimiter:
        with self._lock:
            if self._limiter is None:
                settings = rt.settings
                self._limiter = (
                    RedisTokenBucket.from_url(settings.redis_url, prefix=settings.api.rate_limit_prefix)
                    if settings.redis_url
                    else MemoryTokenBucket()
                )
            return self._limiter

    def close(self) -> None:
        with self._lock:
            if self._limiter is not None:
                self._limiter.close()
                self._limiter = None
