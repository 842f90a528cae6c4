"""A route for a hot handler that takes the ``Request`` alone and returns a ``Response`` itself.

FastAPI's per-request handler prepares for everything a route may declare: it reads the body,
solves the dependencies, validates and serialises the response model, and reports each step to its
telemetry hooks. For a handler with nothing declared that is all bookkeeping, and for
``GET /api/chats`` it was a sixth of the request's CPU (docs/benchmarks.md). This route calls the
handler directly. Everything else stays FastAPI's: matching, the OpenAPI operation (from the route's
``response_model``, ``openapi_extra`` and so on), and exceptions, which reach the app's handlers.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class DirectRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        dependant = self.dependant
        declared = (
            dependant.path_params
            or dependant.query_params
            or dependant.header_params
            or dependant.cookie_params
            or dependant.body_params
            or dependant.dependencies
        )
        if declared or dependant.request_param_name is None:
            raise TypeError(f"{self.path}: a DirectRoute handler takes the Request alone")
        endpoint: Handler = self.endpoint
        return endpoint
