"""The client-application key (``X-API-KEY``), compared in constant time.

It identifies the client app, not a user. Health routes, the OpenAPI document and docs, and CORS
preflight requests are exempt.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from starlette.responses import Response

from macro_ai.errors import error_response

EXEMPT_PREFIXES = ("/api/health", "/api/docs", "/api/redoc", "/api/openapi.json")


class ApiKeyCheck:
    def __init__(self, expected_key: Callable[[], bytes]) -> None:
        self.expected_key = expected_key  # read per request: the key may rotate

    def refusal(self, presented: bytes | None) -> Response | None:
        """A 401 unless the key presented is the expected one. The caller skips exempt routes."""
        if presented is not None and hmac.compare_digest(presented, self.expected_key()):
            return None
        return error_response(401, "Missing API key" if not presented else "Invalid API key", "Unauthorized")
