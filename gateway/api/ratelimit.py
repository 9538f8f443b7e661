"""Per-client rate limits: a token bucket per key (a client id).

Each key holds up to `burst` tokens and gains `rate_per_minute / 60` per second; a request takes
one. With none left, the answer is how long until one is there (the `Retry-After` of the 429).

- `MemoryTokenBucket`: in the process, for the embedded default (one API process).
- `RedisTokenBucket`: shared by every API process, when `GATEWAY_REDIS_URL` is set. One Lua script
  reads, refills and takes atomically, so concurrent requests on several processes cannot spend the
  same token twice. Time comes from the caller's clock (not Redis's), like everywhere else.

A Redis that does not answer lets the request through (logged): a rate limit must not take the API
down with it.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Protocol

import redis

log = logging.getLogger(__name__)


class RateLimiter(Protocol):
    def take(self, key: str, *, rate_per_minute: int, burst: int, now: dt.datetime) -> float:
        """Take one token for `key`: 0 when the request may go on, else the seconds to wait."""
        ...

    def close(self) -> None: ...


def _refill(tokens: float, elapsed_s: float, rate_per_s: float, burst: int) -> float:
    return min(float(burst), tokens + max(elapsed_s, 0.0) * rate_per_s)


class MemoryTokenBucket:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, dt.datetime]] = {}

    def take(self, key: str, *, rate_per_minute: int, burst: int, now: dt.datetime) -> float:
        rate = rate_per_minute / 60.0
        with self._lock:
            tokens, at = self._buckets.get(key, (float(burst), now))
            tokens = _refill(tokens, (now - at).total_seconds(), rate, burst)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / rate

    def close(self) -> None:
        self._buckets.clear()


# KEYS[1] the bucket; ARGV rate per second, burst, now (epoch seconds). Returns the wait as a string
# (Redis turns Lua numbers into integers).
_TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
if now > at then
  tokens = math.min(burst, tokens + (now - at) * rate)
  at = now
end
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(at))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 60)
return tostring(wait)
"""


class RedisTokenBucket:
    def __init__(self, client: redis.Redis, *, prefix: str = "gateway:ratelimit") -> None:
        self._client = client
        self._prefix = prefix
        self._script = client.register_script(_TAKE)

    @classmethod
    def from_url(cls, url: str, *, prefix: str = "gateway:ratelimit") -> RedisTokenBucket:
        return cls(redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0), prefix=prefix)

    def take(self, key: str, *, rate_per_minute: int, burst: int, now: dt.datetime) -> float:
        try:
            wait = self._script(
                keys=[f"{self._prefix}:{key}"], args=[rate_per_minute / 60.0, burst, now.timestamp()]
            )
        except redis.RedisError as exc:
            log.warning("rate limit: Redis did not answer (%s); the request is let through", exc)
            return 0.0
        return float(wait.decode() if isinstance(wait, bytes) else wait)

    def close(self) -> None:
        self._client.close()
