"""The client-application key (``X-API-KEY``), compared in constant time.

It identifies the client app, not a user. Health routes, the OpenAPI document and docs, and CORS
preflight requests are exempt.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from macro_ai.errors import error_response

EXEMPT_PREFIXES = ("/api/health", "/api/docs", "/api/redoc", "/api/openapi.json")


def is_exempt(scope: Scope) -> bool:
    path: str = scope["path"]
    if path.startswith(EXEMPT_PREFIXES):
        return True
    return scope["method"] == "OPTIONS" and any(
        name == b"access-control-request-method" for name, _ in scope["headers"]
    )


class ApiKeyMiddleware:
    def __init__(self, app: ASGIApp, *, expected_key: Callable[[], bytes]) -> None:
        self.app = app
        self.expected_key = expected_key  # read per request: the key may rotate

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Not async: passing through adds no frame to the request's await chain.
        if scope["type"] != "http" or is_exempt(scope):
            return self.app(scope, receive, send)
        presented = next((value for name, value in scope["headers"] if name == b"x-api-key"), b"")
        if not hmac.compare_digest(presented, self.expected_key()):
            message = "Missing API key" if not presented else "Invalid API key"
            return error_response(401, message, "Unauthorized")(scope, receive, send)
        return self.app(scope, receive, send)
