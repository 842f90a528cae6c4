"""The HTTP edge: the one middleware every request passes through.

Its steps, outermost first:

1. the request context: request id, client IP, the in-flight count that graceful shutdown waits
   on, security headers, and one access-log line and metrics per request (even for a 429);
2. CORS, for requests that carry an ``Origin``;
3. the rate limit, the client-application key and the request-body limits, except on exempt routes.

The steps are plain calls on headers read in one pass, not a middleware each: every layer costs
every request a call and a scan of the headers, and five layers cost a sixth of the API's throughput.
"""

from __future__ import annotations

import functools
import time
from typing import Any

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from macro_ai.lifecycle import Lifecycle
from macro_ai.logs import REQUEST_ID
from macro_ai.web.access_log import AccessLog
from macro_ai.web.allowed_methods import AllowedMethods
from macro_ai.web.api_key import ApiKeyCheck
from macro_ai.web.body_guard import BodyGuard
from macro_ai.web.client_ip import client_ip
from macro_ai.web.metrics import MetricsRecorder, route_template
from macro_ai.web.rate_limit import RateLimiter, route_class
from macro_ai.web.request_headers import RequestHeaders
from macro_ai.web.security_headers import NO_STORE, security_headers

CLIENT_CLOSED_REQUEST = 499  # logged when the client leaves mid-body: no response was sent


class Edge:
    def __init__(
        self,
        app: ASGIApp,
        *,
        lifecycle: Lifecycle,
        metrics: MetricsRecorder,
        access_log: AccessLog,
        trusted_proxy_hops: int,
        allowed_methods: AllowedMethods,
        cors_options: dict[str, Any],
        rate_limiter: RateLimiter,
        api_key: ApiKeyCheck,
        body_guard: BodyGuard,
    ) -> None:
        self.app = app
        self.lifecycle = lifecycle
        self.metrics = metrics
        self.access_log = access_log
        self.trusted_proxy_hops = trusted_proxy_hops
        self.allowed_methods = allowed_methods
        self.cors = CORSMiddleware(app, **cors_options)  # its preflight answer and its send wrapper
        self.rate_limiter = rate_limiter
        self.api_key = api_key
        self.body_guard = body_guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = RequestHeaders(scope["headers"])
        request_id = headers.request_id_or_new()
        ip = client_ip(scope.get("client"), headers.forwarded_for, self.trusted_proxy_hops)
        scope.setdefault("state", {}).update(request_id=request_id, client_ip=ip)
        REQUEST_ID.set(request_id)
        method: str = scope["method"]
        path: str = scope["path"]
        added = [*security_headers(path), (b"x-request-id", request_id.encode())]
        status = 500
        lifecycle = self.lifecycle
        lifecycle.request_started()

        async def respond(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                response_headers = list(message.get("headers", ()))
                if status == 405:
                    allow = (b"allow", self.allowed_methods.header(scope))
                    response_headers = [h for h in response_headers if h[0] != b"allow"] + [allow]
                if not any(name == b"cache-control" for name, _ in response_headers):
                    response_headers.append(NO_STORE)
                if lifecycle.draining:
                    response_headers.append((b"connection", b"close"))
                response_headers.extend(added)
                message["headers"] = response_headers
            await send(message)

        try:
            app_send: Send = respond
            if headers.origin is not None:
                request_headers = Headers(scope=scope)
                if method == "OPTIONS" and headers.preflight_method is not None:
                    await self.cors.preflight_response(request_headers)(scope, receive, respond)
                    return
                app_send = functools.partial(self.cors.send, send=respond, request_headers=request_headers)
            klass = route_class(path)  # None for the exempt routes: health, docs, the OpenAPI document
            if klass is None and not headers.has_body:
                await self.app(scope, receive, app_send)  # health checks: nothing to check
                return
            refusal, receive = await self._checks(method, klass, receive, headers, ip, added)
            await (refusal or self.app)(scope, receive, app_send)
        except ClientDisconnect:
            status = CLIENT_CLOSED_REQUEST
        finally:
            lifecycle.request_finished()
            millis = (time.perf_counter() - started) * 1000
            self.metrics.record(f"{method} {route_template(scope)}", status, millis)
            self.access_log.write(request_id, method, path, status, millis, ip)

    async def _checks(
        self,
        method: str,
        klass: str | None,
        receive: Receive,
        headers: RequestHeaders,
        ip: str,
        added: list[tuple[bytes, bytes]],
    ) -> tuple[Response | None, Receive]:
        """The rate limit, the API key, then the body: the first refusal, and the app's channel."""
        if klass is not None:
            if method != "OPTIONS":
                limit_headers, refusal = await self.rate_limiter.check(ip, klass)
                added.extend(limit_headers)
                if refusal is not None:
                    return refusal, receive
            if method != "OPTIONS" or headers.preflight_method is None:
                refusal = self.api_key.refusal(headers.api_key)
                if refusal is not None:
                    return refusal, receive
        if not headers.has_body:
            return None, receive
        refusal = self.body_guard.refusal_before_reading(headers.content_length)
        if refusal is not None:
            return refusal, receive
        body = await self.body_guard.read(receive, headers.content_type)
        if isinstance(body, Response):
            return body, receive
        return None, body
