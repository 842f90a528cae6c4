"""The checks behind the health routes.

Readiness asks one question with a short timeout: can this task serve traffic now? The database
must answer and be at the migration head, and the process must not be draining. Liveness asks
nothing of dependencies, so a database outage never makes ECS replace healthy tasks.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from macro_ai.config.schema import Settings
from macro_ai.lifecycle import Lifecycle


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    latency_ms: float
    detail: str


class HealthService:
    def __init__(
        self, engine: AsyncEngine, lifecycle: Lifecycle, settings: Settings, head_revisions: set[str]
    ) -> None:
        self.engine = engine
        self.lifecycle = lifecycle
        self.settings = settings
        self.head_revisions = head_revisions

    def shutdown_check(self) -> Check:
        draining = self.lifecycle.draining
        return Check("shutdown", not draining, 0.0, "draining" if draining else "serving")

    async def database_check(self) -> list[Check]:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.settings.readiness_timeout_seconds):
                async with self.engine.connect() as connection:
                    result = await connection.execute(text("SELECT version_num FROM alembic_version"))
                    revisions = {row[0] for row in result}
        except TimeoutError:
            return self._database_failed(started, "timed out")
        except Exception as exc:
            message = "migrations not applied" if "alembic_version" in str(exc) else "unreachable"
            return self._database_failed(started, message)
        latency = (time.perf_counter() - started) * 1000
        at_head = revisions == self.head_revisions
        return [
            Check("database", True, latency, "reachable"),
            Check("migrations", at_head, latency, "at head" if at_head else "behind head"),
        ]

    def _database_failed(self, started: float, detail: str) -> list[Check]:
        latency = (time.perf_counter() - started) * 1000
        return [Check("database", False, latency, detail), Check("migrations", False, 0.0, "unknown")]

    async def readiness(self) -> list[Check]:
        shutdown = self.shutdown_check()
        if not shutdown.ok:  # answer at once: the load balancer should stop sending
            return [shutdown]
        return [shutdown, *await self.database_check()]
