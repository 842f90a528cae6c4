"""The app's services, built once by the app factory and stored once on ``app.state.services``.

Handlers reach them through the annotated dependencies in ``macro_ai.deps``; nothing else reads
``app.state``.
"""

from __future__ import annotations

from dataclasses import dataclass

from macro_ai_contract import load_contract
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from macro_ai.ai.provider import ChatProvider, build_provider
from macro_ai.auth.cognito import CognitoClient
from macro_ai.auth.revocation import (
    PostgresRevocationStore,
    RedisRevocationStore,
    RevocationList,
    RevocationStore,
)
from macro_ai.auth.tokens import TokenVerifier
from macro_ai.chats.listing import ChatListing
from macro_ai.chats.streaming import ReplyStreamer
from macro_ai.config.database_login import DatabaseUrl
from macro_ai.config.schema import Settings
from macro_ai.db.engine import create_engine, session_factory
from macro_ai.db.read_pool import ReadPool
from macro_ai.db.schema_version import HEAD_REVISIONS
from macro_ai.health.service import HealthService
from macro_ai.lifecycle import Lifecycle
from macro_ai.web.metrics import MetricsRecorder


@dataclass(frozen=True)
class Services:
    settings: Settings
    lifecycle: Lifecycle
    database_url: DatabaseUrl
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    metrics: MetricsRecorder
    health: HealthService
    cognito: CognitoClient
    revocations: RevocationList
    tokens: TokenVerifier
    provider: ChatProvider
    streamer: ReplyStreamer
    read_pool: ReadPool
    chat_listing: ChatListing

    async def close(self) -> None:
        """Close both database pools (at shutdown, and by tests that build apps)."""
        await self.read_pool.close()
        await self.engine.dispose()


def _revocation_store(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], reads: ReadPool
) -> RevocationStore:
    if settings.redis_url is not None:
        return RedisRevocationStore(settings.redis_url.get_secret_value())
    return PostgresRevocationStore(sessions, reads)


def build_services(settings: Settings, lifecycle: Lifecycle) -> Services:
    database_url = DatabaseUrl(settings)
    engine = create_engine(settings, database_url)
    read_pool = ReadPool(settings, database_url)
    sessions = session_factory(engine)
    revocations = RevocationList(_revocation_store(settings, sessions, read_pool))
    provider = build_provider(settings)
    return Services(
        settings=settings,
        lifecycle=lifecycle,
        database_url=database_url,
        engine=engine,
        sessions=sessions,
        metrics=MetricsRecorder(load_contract().service, settings.app_env),
        health=HealthService(engine, lifecycle, settings, set(HEAD_REVISIONS)),
        cognito=CognitoClient(settings),
        revocations=revocations,
        tokens=TokenVerifier(settings, revocations),
        provider=provider,
        streamer=ReplyStreamer(sessions, provider),
        read_pool=read_pool,
        chat_listing=ChatListing(read_pool),
    )
