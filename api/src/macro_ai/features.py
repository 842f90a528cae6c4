"""The feature routes (accounts, users, chats) with their services and background work.

Importing this module imports SQLAlchemy, PyJWT and cryptography; ``macro_ai.feature_loader`` decides
when. Nothing on the core path (``macro_ai.core``, ``macro_ai.main``) imports it.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from starlette.routing import BaseRoute

from macro_ai.auth.router import router as auth_router
from macro_ai.chats.router import router as chats_router
from macro_ai.core import CoreServices
from macro_ai.db.engine import warm_pool
from macro_ai.services import Services, build_services
from macro_ai.users.router import router as users_router

ROUTERS = (auth_router, users_router, chats_router)


@dataclass(frozen=True)
class Features:
    services: Services
    # The routes themselves, not included routers: FastAPI matches an included router lazily, walking
    # it twice on every request (once to match, once to dispatch).
    routes: list[BaseRoute]

    async def first_reload(self) -> None:
        """The revocation list as the store has it now, before the routes take a request: a new task
        refuses a token revoked on another from its first request. With the store away (or slower than
        the readiness timeout) the routes go in anyway: readiness shows the database, and the reload
        loop keeps trying and says so."""
        with contextlib.suppress(Exception):
            async with asyncio.timeout(self.services.settings.readiness_timeout_seconds):
                await self.services.revocations.reload()

    async def background(self) -> None:
        """Until cancelled: the revocation list reloaded every 2 s, beside a one-off warm-up of the
        engine's pool (its own task: nothing it does can stop the reload)."""
        services = self.services
        warm = asyncio.create_task(warm_pool(services.engine, services.settings.database_pool_size))
        try:
            await services.revocations.reload_forever()
        finally:
            warm.cancel()


def load(core: CoreServices) -> Features:
    return Features(build_services(core), [route for router in ROUTERS for route in router.routes])
