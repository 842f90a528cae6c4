"""Settings that follow rotated secrets without a restart.

Start-up validates everything once. Afterwards a background task re-reads the AWS sources every
``CONFIG_REFRESH_SECONDS`` and swaps in a newly validated Settings object; readers call
``live.current`` per use, which is a plain attribute read on the hot path. An invalid or unreachable
refresh keeps the last good values and is logged by item name only.
"""

from __future__ import annotations

import asyncio
from typing import Any

import structlog

from macro_ai.config.settings import Settings, aws_overrides

log = structlog.get_logger("macro_ai.config")


class LiveSettings:
    def __init__(self, settings: Settings) -> None:
        self.current = settings
        self.refreshed_at: float | None = None

    @property
    def refreshes_from_aws(self) -> bool:
        settings = self.current
        return settings.config_parameter_store or bool(
            settings.config_secret_id or settings.database_login_id
        )

    def refresh_now(self) -> bool:
        """Re-read AWS and swap settings; True when anything changed. Blocking: call in a thread."""
        overrides = aws_overrides(self.current)
        merged: dict[str, Any] = {**self.current.model_dump(), **overrides}
        fresh = Settings(**merged)
        changed = fresh != self.current
        self.current = fresh
        return changed

    async def refresh_forever(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.current.config_refresh_seconds)
            try:
                changed = await asyncio.to_thread(self.refresh_now)
            except Exception as exc:  # keep serving on the last good configuration
                log.warning("configuration refresh failed", error_type=type(exc).__name__)
                continue
            self.refreshed_at = loop.time()
            if changed:
                log.info("configuration refreshed from AWS")
