"""Routing that looks only at the routes that can match.

The router tries every route in order, and each try runs a regex and FastAPI's own bookkeeping:
``/api/system-info``, registered last, paid for 26 tries per request. Here the routes are grouped by
their first two path segments (``/api/chats``), and a request is routed by the same router over its
group only, in the same order, so first-match, 405 and trailing-slash behaviour are unchanged. A route
whose first two segments hold a parameter belongs to every group; a path outside every group goes to
the whole router. The groups are rebuilt when routes are added.
"""

from __future__ import annotations

import copy

from fastapi.routing import APIRouter
from starlette.routing import BaseRoute
from starlette.types import Receive, Scope, Send


def group_of(path: str) -> str:
    """``/api/chats`` for ``/api/chats/5f0c...``, ``/api/chats`` and ``/api/chats/``."""
    return "/".join(path.split("/", 3)[:3]).rstrip("/")


class RouteIndex:
    def __init__(self, router: APIRouter) -> None:
        self.router = router
        self.routers: dict[str, APIRouter] = {}
        self._indexed = -1  # the number of routes the groups were built from

    def _build(self) -> None:
        router = self.router
        self._indexed = len(router.routes)
        routes: list[tuple[str, BaseRoute]] = [(getattr(r, "path", "{}"), r) for r in router.routes]
        groups = {group_of(path) for path, _ in routes if "{" not in group_of(path)}
        self.routers = {}
        for group in groups:
            narrowed = copy.copy(router)  # same settings and handlers, fewer routes to try
            narrowed.routes = [r for path, r in routes if group_of(path) == group or "{" in group_of(path)]
            self.routers[group] = narrowed

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> object:
        scope.setdefault("router", self.router)  # url_for still sees every route
        if scope["type"] == "http":
            if self._indexed != len(self.router.routes):
                self._build()
            narrowed = self.routers.get(group_of(scope["path"]))
            if narrowed is not None:
                return narrowed.app(scope, receive, send)
        return self.router.app(scope, receive, send)
