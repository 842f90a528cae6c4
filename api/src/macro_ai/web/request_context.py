"""The outermost middleware: request id, client IP, one JSON log line and metrics per request,
security headers, and the in-flight count that graceful shutdown waits on.

Plain ASGI, because every request passes through it.
"""

from __future__ import annotations

import random
import re
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from macro_ai.lifecycle import Lifecycle
from macro_ai.logs import REQUEST_ID
from macro_ai.web.access_log import AccessLog
from macro_ai.web.allowed_methods import AllowedMethods
from macro_ai.web.client_ip import client_ip
from macro_ai.web.metrics import MetricsRecorder
from macro_ai.web.security_headers import NO_STORE, security_headers

_SAFE_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
_TRACE_ROOT = re.compile(r"Root=([A-Za-z0-9-]{1,64})")


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    trace = None
    for name, value in headers:
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            if _SAFE_ID.fullmatch(candidate):
                return candidate
        elif name == b"x-amzn-trace-id":
            trace = value.decode("latin-1")
    if trace and (match := _TRACE_ROOT.search(trace)):
        return match.group(1)
    # 128 random bits, as unique as a uuid4; an id, not a secret, so no system call for it.
    return f"{random.getrandbits(128):032x}"


def route_template(scope: Scope) -> str:
    """``/api/chats/{id}`` for ``/api/chats/5f0c...``: bounded metric dimensions, one per route."""
    if "route" not in scope:
        return "unrouted"  # refused before routing (API key, rate limit) or no such route
    path: str = scope["path"]
    params = scope.get("path_params") or {}
    if not params:
        return path
    names = {str(value): name for name, value in params.items()}
    return "/".join("{" + names[part] + "}" if part in names else part for part in path.split("/"))


class RequestContextMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        lifecycle: Lifecycle,
        metrics: MetricsRecorder,
        access_log: AccessLog,
        trusted_proxy_hops: int,
        allowed_methods: AllowedMethods | None = None,
    ) -> None:
        self.app = app
        self.allowed_methods = allowed_methods
        self.access_log = access_log
        self.lifecycle = lifecycle
        self.metrics = metrics
        self.trusted_proxy_hops = trusted_proxy_hops

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_from(scope["headers"])
        ip = client_ip(scope, self.trusted_proxy_hops)
        scope.setdefault("state", {}).update(request_id=request_id, client_ip=ip)
        REQUEST_ID.set(request_id)
        path: str = scope["path"]
        extra_headers = [*security_headers(path), (b"x-request-id", request_id.encode())]
        status = 500
        self.lifecycle.request_started()

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))
                if status == 405 and self.allowed_methods is not None:
                    allow = (b"allow", self.allowed_methods.header(scope))
                    headers = [header for header in headers if header[0] != b"allow"] + [allow]
                if not any(name == b"cache-control" for name, _ in headers):
                    headers.append(NO_STORE)
                if self.lifecycle.draining:
                    headers.append((b"connection", b"close"))
                headers.extend(extra_headers)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            self.lifecycle.request_finished()
            millis = (time.perf_counter() - started) * 1000
            self.metrics.record(f"{scope['method']} {route_template(scope)}", status, millis)
            self.access_log.write(request_id, scope["method"], path, status, millis, ip)
