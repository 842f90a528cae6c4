"""The feature routes (accounts, users, chats) and their services, loaded now or once the server
listens.

They import SQLAlchemy, PyJWT and cryptography: about 0.3 s of a 0.9 s start on this machine, before
any of them can serve (docs/benchmarks.md). ``macro-ai serve`` therefore starts with the core alone
(health, system-info, the edge, the read pool), answers readiness, and imports the features in a
worker thread while the event loop keeps serving; they go in once the revocation list is loaded, so a
new task never accepts a token revoked elsewhere. A request for a feature route that arrives before
they are in place waits for them behind a gate, then is served as usual; the gate is removed once
they are installed, so it costs nothing after start-up. A load balancer needs several passing health
checks before it sends traffic (``service-contract.json``), far longer than the load.

If the import fails (a bug, never a runtime condition), readiness fails with the ``features`` check
and the waiting requests get a 503, so the deployment's health checks stop the rollout.

Tests and ``serve --reload`` load the features at once (``load_now``).
"""

from __future__ import annotations

import asyncio
import gc
from typing import TYPE_CHECKING

import structlog
from starlette.types import ASGIApp, Receive, Scope, Send

from macro_ai.errors import AppError

if TYPE_CHECKING:
    from fastapi import FastAPI

    from macro_ai.core import CoreServices
    from macro_ai.features import Features
    from macro_ai.services import Services

log = structlog.get_logger("macro_ai.feature_loader")


class FeaturesUnavailableError(AppError):
    status_code = 503
    error_type = "ServiceUnavailable"


class FeatureLoader:
    def __init__(self) -> None:
        self.loaded: Features | None = None
        self.failed = False
        self._done = asyncio.Event()

    @property
    def state(self) -> str:
        if self.failed:
            return "failed to load"
        return "loaded" if self.loaded is not None else "loading"

    @property
    def services(self) -> Services | None:
        return self.loaded.services if self.loaded is not None else None

    def load_now(self, app: FastAPI, core: CoreServices) -> None:
        self._install(app, _prepare(core))

    def hold_requests(self, app: FastAPI, core_paths: set[str]) -> None:
        """Until the features are installed, requests outside ``core_paths`` wait at the router."""
        app.router.middleware_stack = _Gate(app.router.middleware_stack, self, core_paths)

    async def serve(self, app: FastAPI, core: CoreServices) -> None:
        """The features' lifetime, as a lifespan task: load them if they are not yet, then run their
        background work (pool warm-up, the revocation list's reload) until cancelled."""
        if self.loaded is None:
            try:
                # The import and the build in a thread; the routes are installed on the event loop,
                # once the revocation list is in.
                features = await asyncio.to_thread(_prepare, core)
                await features.first_reload()
                self._install(app, features)
            except Exception as error:
                self.failed = True
                self._done.set()
                log.error(
                    "the feature routes failed to load", error_type=type(error).__name__, exc_info=error
                )
                return
            # The features' modules and services live as long as the process: out of the collector's
            # sight, like everything built before the server started (macro_ai.server).
            gc.freeze()
        assert self.loaded is not None
        await self.loaded.background()

    async def wait(self) -> None:
        await self._done.wait()
        if self.failed:
            raise FeaturesUnavailableError("The service failed to start; please retry")

    def _install(self, app: FastAPI, features: Features) -> None:
        app.state.services = features.services
        app.router.routes.extend(features.routes)
        stack = app.router.middleware_stack
        if isinstance(stack, _Gate):
            app.router.middleware_stack = stack.app  # type: ignore[assignment]
        self.loaded = features
        self._done.set()


def _prepare(core: CoreServices) -> Features:
    from macro_ai.features import load  # here, not at the top: this import is what is deferred

    return load(core)


class _Gate:
    def __init__(self, app: ASGIApp, features: FeatureLoader, core_paths: set[str]) -> None:
        self.app = app
        self.features = features
        self.core_paths = core_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] not in self.core_paths:
            await self.features.wait()
        await self.app(scope, receive, send)
