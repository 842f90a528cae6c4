"""The checks behind the health routes.

Readiness asks one question with a short timeout: can this task serve traffic now? The database
must answer and be at the migration head, the process must not be draining, and the feature routes
must not have failed to load (while they load, requests for them wait: macro_ai.feature_loader).
Liveness asks nothing of dependencies, so a database outage never makes ECS replace healthy tasks.

The database is asked through the read pool's plain asyncpg connections: readiness is up before
SQLAlchemy is imported.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import asyncpg

from macro_ai.config.schema import Settings
from macro_ai.db.read_pool import ReadPool
from macro_ai.errors import DatabaseBusyError
from macro_ai.feature_loader import FeatureLoader
from macro_ai.lifecycle import Lifecycle

REVISION_QUERY = "SELECT version_num FROM alembic_version"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    latency_ms: float
    detail: str


class HealthService:
    def __init__(
        self,
        reads: ReadPool,
        lifecycle: Lifecycle,
        features: FeatureLoader,
        settings: Settings,
        head_revisions: set[str],
    ) -> None:
        self.reads = reads
        self.lifecycle = lifecycle
        self.features = features
        self.settings = settings
        self.head_revisions = head_revisions

    def shutdown_check(self) -> Check:
        draining = self.lifecycle.draining
        return Check("shutdown", not draining, 0.0, "draining" if draining else "serving")

    async def database_check(self) -> list[Check]:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.settings.readiness_timeout_seconds):
                revisions = {row[0] for row in await self.reads.fetch(REVISION_QUERY)}
        except TimeoutError:
            return self._database_failed(started, "timed out")
        except asyncpg.UndefinedTableError:
            return self._database_failed(started, "migrations not applied")
        except (DatabaseBusyError, asyncpg.PostgresError):  # the read pool's "away", or any refusal
            return self._database_failed(started, "unreachable")
        latency = (time.perf_counter() - started) * 1000
        at_head = revisions == self.head_revisions
        return [
            Check("database", True, latency, "reachable"),
            Check("migrations", at_head, latency, "at head" if at_head else "behind head"),
        ]

    def _database_failed(self, started: float, detail: str) -> list[Check]:
        latency = (time.perf_counter() - started) * 1000
        return [Check("database", False, latency, detail), Check("migrations", False, 0.0, "unknown")]

    def features_check(self) -> Check:
        return Check("features", not self.features.failed, 0.0, self.features.state)

    async def readiness(self) -> list[Check]:
        shutdown = self.shutdown_check()
        if not shutdown.ok:  # answer at once: the load balancer should stop sending
            return [shutdown]
        return [shutdown, self.features_check(), *await self.database_check()]
