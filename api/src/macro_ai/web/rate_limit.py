"""Fixed-window rate limits per client IP, in memory or in Redis.

Every limited request counts against the default bucket and against its class (auth or API);
the tightest one decides and is reported in ``RateLimit-*`` headers. The memory store is per task;
with ``REDIS_URL`` the counters are shared, so a limit holds across tasks. If Redis is unreachable
the request is let through and a warning is logged: losing rate limiting for a moment is better
than refusing every user.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import structlog
from starlette.responses import Response

from macro_ai.config.schema import Settings
from macro_ai.errors import error_response
from macro_ai.web.api_key import EXEMPT_PREFIXES

log = structlog.get_logger("macro_ai.rate_limit")


@dataclass(frozen=True)
class Limit:
    name: str
    max_requests: int
    window_seconds: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        """The headers that name this limit; the remaining count and the reset are per request."""
        return [
            (b"ratelimit-limit", str(self.max_requests).encode()),
            (b"ratelimit-policy", f"{self.max_requests};w={self.window_seconds}".encode()),
        ]


@dataclass(slots=True)
class Usage:
    limit: Limit
    count: int
    reset_seconds: int

    @property
    def remaining(self) -> int:
        return max(self.limit.max_requests - self.count, 0)

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit.max_requests


class CounterStore(Protocol):
    async def hit(self, windows: Sequence[tuple[str, int]], now: float) -> list[int]:
        """Count one request in each (key, window length) window that contains ``now``; return
        each window's count. One call per request: for Redis, one round trip."""


class MemoryStore:
    def __init__(self, max_keys: int = 100_000) -> None:
        self._counts: dict[str, tuple[int, int]] = {}  # key -> (window index, count)
        self._max_keys = max_keys

    async def hit(self, windows: Sequence[tuple[str, int]], now: float) -> list[int]:
        return [self._hit(key, window_seconds, now) for key, window_seconds in windows]

    def _hit(self, key: str, window_seconds: int, now: float) -> int:
        window = int(now // window_seconds)
        current_window, count = self._counts.get(key, (window, 0))
        count = count + 1 if current_window == window else 1
        if len(self._counts) >= self._max_keys and key not in self._counts:
            self._evict(now)
        self._counts[key] = (window, count)
        return count

    def _evict(self, now: float) -> None:
        # Keys carry their window length as the last segment: drop the ones whose window ended.
        for stored_key, (window, _) in list(self._counts.items()):
            length = int(stored_key.rsplit(":", 1)[1])
            if window < int(now // length):
                del self._counts[stored_key]


class RedisStore:
    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        self._redis = redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25)

    async def hit(self, windows: Sequence[tuple[str, int]], now: float) -> list[int]:
        async with self._redis.pipeline(transaction=True) as pipe:
            for key, window_seconds in windows:
                redis_key = f"macro-ai:rl:{key}:{int(now // window_seconds)}"
                pipe.incr(redis_key)
                pipe.expire(redis_key, window_seconds + 1)
            replies = await pipe.execute()
        return [int(count) for count in replies[::2]]


def limits_from(settings: Settings) -> dict[str, Limit]:
    return {
        "default": Limit("default", settings.rate_limit_max_requests, settings.rate_limit_window_seconds),
        "auth": Limit("auth", settings.auth_rate_limit_max_requests, settings.auth_rate_limit_window_seconds),
        "api": Limit("api", settings.api_rate_limit_max_requests, settings.api_rate_limit_window_seconds),
    }


def route_class(path: str) -> str | None:
    if path.startswith(EXEMPT_PREFIXES):  # health, docs and the OpenAPI document: never limited
        return None
    if path.startswith("/api/auth/"):
        return "auth"
    return "api"


class RateLimiter:
    def __init__(self, limits: dict[str, Limit], store: CounterStore) -> None:
        self.limits = limits
        self.store = store
        # Every request counts against the default bucket and its class's: both, per class.
        self._applying = {klass: (limits["default"], limits[klass]) for klass in limits}
        self._headers = {limit: limit.headers() for limit in limits.values()}  # built once

    async def _usages(self, ip: str, klass: str, now: float) -> list[Usage]:
        limits = self._applying[klass]
        windows = [(f"{limit.name}:{ip}:{limit.window_seconds}", limit.window_seconds) for limit in limits]
        counts = await self.store.hit(windows, now)
        return [
            Usage(limit, count, math.ceil((now // limit.window_seconds + 1) * limit.window_seconds - now))
            for limit, count in zip(limits, counts, strict=True)
        ]

    async def check(self, ip: str, klass: str) -> tuple[list[tuple[bytes, bytes]], Response | None]:
        """Count the request: the ``RateLimit-*`` headers for its response, and a 429 if over a limit."""
        try:
            usages = await self._usages(ip, klass, time.time())
        except Exception as exc:  # the shared store is down: fail open, loudly
            log.warning("rate limit store unavailable", error_type=type(exc).__name__)
            return [], None
        tightest = min(usages, key=lambda u: (not u.exceeded, u.remaining))
        headers = [
            *self._headers[tightest.limit],
            (b"ratelimit-remaining", b"%d" % tightest.remaining),
            (b"ratelimit-reset", b"%d" % tightest.reset_seconds),
        ]
        if not tightest.exceeded:
            return headers, None
        refusal = error_response(
            429,
            "Too many requests, please try again later",
            "TooManyRequests",
            headers={"retry-after": str(tightest.reset_seconds)},
        )
        return headers, refusal
