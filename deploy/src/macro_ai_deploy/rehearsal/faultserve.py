"""`macro-ai serve` with an injected fault: the "bad release" of the rehearsal. Test-only, never shipped.

Run with the service's own interpreter (a plain process, or inside the real image with this file mounted).
It wraps the app that `macro-ai serve` builds, so serving, draining and health are the real ones:
REHEARSAL_FAULT_ERROR_PERCENT of the non-health requests get a 500, and REHEARSAL_FAULT_DELAY_MS is added
to each of them. Health checks still pass, as they do for a release that is broken where it matters.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
from typing import Any

HEALTH_PREFIX = "/api/health"


class FaultInjector:
    def __init__(self, app: Any, error_percent: float, delay_ms: float) -> None:
        self.app, self.error_percent, self.delay_ms = app, error_percent, delay_ms
        self.state = getattr(app, "state", None)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or str(scope.get("path", "")).startswith(HEALTH_PREFIX):
            await self.app(scope, receive, send)
            return
        if self.delay_ms:
            await asyncio.sleep(self.delay_ms / 1000)
        if random.uniform(0, 100) < self.error_percent:  # noqa: S311 - not cryptography
            body = b'{"message":"injected fault (rehearsal)","type":"InternalServerError","status":500}'
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": 500, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def main() -> int:
    import macro_ai.main as app_module
    from macro_ai.cli import main as serve

    real_create_app = app_module.create_app
    error_percent = float(os.environ.get("REHEARSAL_FAULT_ERROR_PERCENT", "0"))
    delay_ms = float(os.environ.get("REHEARSAL_FAULT_DELAY_MS", "0"))

    def create_app(*args: Any, **kwargs: Any) -> Any:
        return FaultInjector(real_create_app(*args, **kwargs), error_percent, delay_ms)

    app_module.create_app = create_app
    return serve(["serve"])


if __name__ == "__main__":
    sys.exit(main())
