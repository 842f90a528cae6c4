"""The ``Allow`` header of a 405: every method of the resource, not only the first route's.

Starlette answers 405 from the first route whose path matches, so ``OPTIONS /api/chats`` said
``Allow: GET`` although ``POST /api/chats`` is a separate route. Here each standard method is tried
against the app's routes with the router's own matching (included routers too). 405s are rare: this
runs only for them, and nothing is cached per path (paths come from clients).
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute, Match
from starlette.types import Scope

METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


class AllowedMethods:
    def __init__(self, routes: Sequence[BaseRoute]) -> None:
        self.routes = routes  # the app's live list: routes added later count too

    def header(self, scope: Scope) -> bytes:
        allowed = [
            method
            for method in METHODS
            if any(route.matches({**scope, "method": method})[0] == Match.FULL for route in self.routes)
        ]
        return ", ".join(allowed).encode()
