"""The application factory: settings in, a fully wired ASGI app out."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig
from macro_ai_contract import load_contract

from macro_ai import __version__
from macro_ai.auth.router import router as auth_router
from macro_ai.chats.router import router as chats_router
from macro_ai.config.schema import Settings
from macro_ai.db.engine import warm_pool
from macro_ai.errors import install_error_handlers
from macro_ai.health.router import router as health_router
from macro_ai.lifecycle import Lifecycle
from macro_ai.openapi import build_openapi
from macro_ai.services import build_services
from macro_ai.system.router import router as system_router
from macro_ai.users.router import router as users_router
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


def create_app(settings: Settings, lifecycle: Lifecycle | None = None) -> FastAPI:
    services = build_services(settings, lifecycle or Lifecycle())
    lifecycle, metrics = services.lifecycle, services.metrics

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async def flush_metrics() -> None:
            while True:
                await asyncio.sleep(METRICS_FLUSH_SECONDS)
                metrics.flush()

        tasks = [
            asyncio.create_task(warm_pool(services.engine, settings.database_pool_size)),
            asyncio.create_task(services.read_pool.warm()),
            asyncio.create_task(flush_metrics()),
            asyncio.create_task(services.revocations.reload_forever()),
        ]
        if services.database_url.follows_rotation:
            tasks.append(asyncio.create_task(services.database_url.refresh_forever()))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            metrics.flush()
            await services.close()

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
    app.state.services = services  # the one entry; handlers use macro_ai.deps

    # The routes themselves, not included routers: FastAPI matches an included router lazily, walking
    # it twice on every request (once to match, once to dispatch).
    for router in (health_router, auth_router, users_router, chats_router, system_router):
        app.router.routes.extend(router.routes)
    install_error_handlers(app)
    max_body_bytes = load_contract().max_request_body_bytes
    app.openapi = lambda: build_openapi(app, max_body_bytes)  # type: ignore[method-assign]

    app.router.middleware_stack = RouteIndex(app.router)  # type: ignore[assignment]

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
