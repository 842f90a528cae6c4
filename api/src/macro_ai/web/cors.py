"""CORS only for requests that carry an ``Origin`` header.

Starlette's CORSMiddleware wraps every response to add ``Vary: Origin``; requests without an
Origin (load balancer checks, servers, mobile clients) cannot be cross-origin, and every API
response is ``no-store`` anyway, so they skip it.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send


class OriginGatedCors:
    def __init__(self, app: ASGIApp, /, **options: Any) -> None:
        self.app = app
        self.cors = CORSMiddleware(app, **options)

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Not async: it hands over the next app's coroutine, so passing through adds no frame to
        # the request's await chain (every resume of a suspended request walks that chain).
        if scope["type"] == "http" and any(name == b"origin" for name, _ in scope["headers"]):
            return self.cors(scope, receive, send)
        return self.app(scope, receive, send)
