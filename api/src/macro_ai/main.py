"""The application factory: settings in, a wired ASGI app out.

The app starts with its core (health, system-info, the edge, the read pool: ``macro_ai.core``); the
feature routes come from ``macro_ai.feature_loader``, at once or, for ``macro-ai serve``, in the
background once the server listens (``defer_features``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.telemetry import TelemetryConfig
from macro_ai_contract import load_contract

from macro_ai import __version__
from macro_ai.config.schema import Settings
from macro_ai.core import build_core
from macro_ai.errors import install_error_handlers
from macro_ai.health.router import router as health_router
from macro_ai.lifecycle import Lifecycle
from macro_ai.system.router import router as system_router
from macro_ai.web.access_log import AccessLog
from macro_ai.web.allowed_methods import AllowedMethods
from macro_ai.web.api_key import ApiKeyCheck
from macro_ai.web.body_guard import BodyGuard
from macro_ai.web.edge import Edge
from macro_ai.web.rate_limit import CounterStore, MemoryStore, RateLimiter, RedisStore, limits_from
from macro_ai.web.route_index import RouteIndex

METRICS_FLUSH_SECONDS = 60
TELEMETRY_OFF: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def _rate_limit_store(settings: Settings) -> CounterStore:
    if settings.redis_url is not None:
        return RedisStore(settings.redis_url.get_secret_value())
    return MemoryStore()


# Served while the features load: they need neither the ORM nor token verification.
CORE_ROUTERS = (health_router, system_router)


def create_app(
    settings: Settings, lifecycle: Lifecycle | None = None, *, defer_features: bool = False
) -> FastAPI:
    core = build_core(settings, lifecycle or Lifecycle())
    lifecycle, metrics, features = core.lifecycle, core.metrics, core.features

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async def flush_metrics() -> None:
            while True:
                await asyncio.sleep(METRICS_FLUSH_SECONDS)
                metrics.flush()

        tasks = [
            asyncio.create_task(core.read_pool.warm()),
            asyncio.create_task(flush_metrics()),
            asyncio.create_task(features.serve(app, core)),
        ]
        if core.database_url.follows_rotation:
            tasks.append(asyncio.create_task(core.database_url.refresh_forever()))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            metrics.flush()
            await (features.services or core).close()

    app = FastAPI(
        title="Macro AI API",
        version=__version__,
        description="Chat-assistant API: accounts through Amazon Cognito, chats, streamed AI replies.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
        # Our own EMF metrics and JSON logs cover this; FastAPI's OpenTelemetry hooks would cost a
        # provider check on every request.
        telemetry=TELEMETRY_OFF,
    )
    # The one entry for each; handlers use macro_ai.deps (services) or macro_ai.core.core_of.
    app.state.core = core

    # The routes themselves, not included routers: FastAPI matches an included router lazily, walking
    # it twice on every request (once to match, once to dispatch).
    for router in CORE_ROUTERS:
        app.router.routes.extend(router.routes)
    install_error_handlers(app)
    max_body_bytes = load_contract().max_request_body_bytes

    def openapi() -> dict[str, object]:
        from macro_ai.openapi import build_openapi  # reads the feature routes' dependencies

        return build_openapi(app, max_body_bytes)

    app.openapi = openapi  # type: ignore[method-assign]

    app.router.middleware_stack = RouteIndex(app.router)  # type: ignore[assignment]
    if defer_features:
        core_paths = {
            route.path for router in CORE_ROUTERS for route in router.routes if isinstance(route, APIRoute)
        }
        features.hold_requests(app, core_paths)
    else:
        features.load_now(app, core)

    api_key = settings.api_key.get_secret_value().encode()
    app.add_middleware(
        Edge,
        lifecycle=lifecycle,
        metrics=metrics,
        access_log=AccessLog(enabled=settings.log_level in {"debug", "info"}),
        trusted_proxy_hops=settings.trusted_proxy_hops,
        allowed_methods=AllowedMethods(app.routes),
        cors_options={
            "allow_origins": settings.cors_allowed_origins,
            "allow_origin_regex": settings.preview_origin_pattern,
            "allow_credentials": True,
            "allow_methods": ["GET", "POST", "PUT", "DELETE", "OPTIONS"],
            "allow_headers": ["Content-Type", "Authorization", "X-API-KEY", "X-Request-Id"],
            "expose_headers": ["X-Request-Id", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"],
            "max_age": 600,
        },
        rate_limiter=RateLimiter(limits_from(settings), _rate_limit_store(settings)),
        api_key=ApiKeyCheck(lambda: api_key),
        body_guard=BodyGuard(max_body_bytes),
    )
    return app
