"""What the app needs before it serves: settings, lifecycle, metrics, the read pool and readiness.

None of it imports SQLAlchemy, PyJWT or cryptography, so ``macro-ai serve`` answers readiness before
the feature routes and their services are loaded (``macro_ai.feature_loader``). The full ``Services``
(``macro_ai.services``) extend these.
"""

from __future__ import annotations

from dataclasses import dataclass

from macro_ai_contract import load_contract
from starlette.requests import Request

from macro_ai.config.database_login import DatabaseUrl
from macro_ai.config.schema import Settings
from macro_ai.db.read_pool import ReadPool
from macro_ai.db.schema_version import HEAD_REVISIONS
from macro_ai.feature_loader import FeatureLoader
from macro_ai.health.service import HealthService
from macro_ai.lifecycle import Lifecycle
from macro_ai.web.metrics import MetricsRecorder


@dataclass(frozen=True)
class CoreServices:
    settings: Settings
    lifecycle: Lifecycle
    database_url: DatabaseUrl
    metrics: MetricsRecorder
    read_pool: ReadPool
    features: FeatureLoader
    health: HealthService

    async def close(self) -> None:
        await self.read_pool.close()


def build_core(settings: Settings, lifecycle: Lifecycle) -> CoreServices:
    database_url = DatabaseUrl(settings)
    read_pool = ReadPool(settings, database_url)
    features = FeatureLoader()
    return CoreServices(
        settings=settings,
        lifecycle=lifecycle,
        database_url=database_url,
        metrics=MetricsRecorder(load_contract().service, settings.app_env),
        read_pool=read_pool,
        features=features,
        health=HealthService(read_pool, lifecycle, features, settings, set(HEAD_REVISIONS)),
    )


def core_of(request: Request) -> CoreServices:
    """The core services (for the routes that are up before the features: health, system-info)."""
    core: CoreServices = request.app.state.core
    return core
