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
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Protocol

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from macro_ai.config.schema import Settings
from macro_ai.errors import error_response
from macro_ai.web.api_key import EXEMPT_PREFIXES

log = structlog.get_logger("macro_ai.rate_limit")


@dataclass(frozen=True)
class Limit:
    name: str
    max_requests: int
    window_seconds: int


@dataclass(frozen=True)
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
    async def hit(self, key: str, window_seconds: int, now: float) -> int:
        """Count one request in the window that contains ``now``; return the window's count."""


class MemoryStore:
    def __init__(self, max_keys: int = 100_000) -> None:
        self._counts: dict[str, tuple[int, int]] = {}  # key -> (window index, count)
        self._max_keys = max_keys

    async def hit(self, key: str, window_seconds: int, now: float) -> int:
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

    async def hit(self, key: str, window_seconds: int, now: float) -> int:
        window = int(now // window_seconds)
        redis_key = f"macro-ai:rl:{key}:{window}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(redis_key)
            pipe.expire(redis_key, window_seconds + 1)
            count, _ = await pipe.execute()
        return int(count)


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


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, *, limits: dict[str, Limit], store: CounterStore) -> None:
        self.app = app
        self.limits = limits
        self.store = store

    async def _usages(self, ip: str, klass: str, now: float) -> list[Usage]:
        usages = []
        for limit in (self.limits["default"], self.limits[klass]):
            key = f"{limit.name}:{ip}:{limit.window_seconds}"
            count = await self.store.hit(key, limit.window_seconds, now)
            reset = math.ceil((int(now // limit.window_seconds) + 1) * limit.window_seconds - now)
            usages.append(Usage(limit, count, reset))
        return usages

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Not async: an exempt request passes with no frame added to its await chain.
        klass = route_class(scope["path"]) if scope["type"] == "http" else None
        if klass is None or scope["method"] == "OPTIONS":
            return self.app(scope, receive, send)
        return self._limited(scope, receive, send, klass)

    async def _limited(self, scope: Scope, receive: Receive, send: Send, klass: str) -> None:
        ip = scope.get("state", {}).get("client_ip", "unknown")
        try:
            usages = await self._usages(ip, klass, time.time())
        except Exception as exc:  # the shared store is down: fail open, loudly
            log.warning("rate limit store unavailable", error_type=type(exc).__name__)
            await self.app(scope, receive, send)
            return
        tightest = min(usages, key=lambda u: (not u.exceeded, u.remaining))
        headers = [
            (b"ratelimit-limit", str(tightest.limit.max_requests).encode()),
            (b"ratelimit-remaining", str(tightest.remaining).encode()),
            (b"ratelimit-reset", str(tightest.reset_seconds).encode()),
            (
                b"ratelimit-policy",
                f"{tightest.limit.max_requests};w={tightest.limit.window_seconds}".encode(),
            ),
        ]
        if tightest.exceeded:
            response = error_response(
                429,
                "Too many requests, please try again later",
                "TooManyRequests",
                headers={"retry-after": str(tightest.reset_seconds)},
            )
            response.raw_headers.extend(headers)
            await response(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)
