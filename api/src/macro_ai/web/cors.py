"""CORS only for requests that carry an ``Origin`` header.

Starlette's CORSMiddleware wraps every response to add ``Vary: Origin``; requests without an
Origin (load balancer checks, servers, mobile clients) cannot be cross-origin, and every API
response is ``no-store`` anyway, so they skip it.
"""

from __future__ import annotations

from typing import Any

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send


class OriginGatedCors:
    def __init__(self, app: ASGIApp, /, **options: Any) -> None:
        self.app = app
        self.cors = CORSMiddleware(app, **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and any(name == b"origin" for name, _ in scope["headers"]):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
