"""The app's services once the features are loaded (``macro_ai.features``): the core services
(``macro_ai.core``) and what accounts, users and chats need. Stored once on ``app.state.services``.

Handlers reach them through the annotated dependencies in ``macro_ai.deps``; nothing else reads
``app.state``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from sqlalchemy.ext.asyncio import AsyncEngine

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
from macro_ai.config.schema import Settings
from macro_ai.core import CoreServices
from macro_ai.db.engine import Sessions, create_engine
from macro_ai.db.read_pool import ReadPool


@dataclass(frozen=True)
class Services(CoreServices):
    engine: AsyncEngine
    sessions: Sessions
    cognito: CognitoClient
    revocations: RevocationList
    tokens: TokenVerifier
    provider: ChatProvider
    streamer: ReplyStreamer
    chat_listing: ChatListing

    async def close(self) -> None:
        """Close both database pools (at shutdown, and by tests that build apps)."""
        await super().close()
        await self.engine.dispose()


def _revocation_store(settings: Settings, sessions: Sessions, reads: ReadPool) -> RevocationStore:
    if settings.redis_url is not None:
        return RedisRevocationStore(settings.redis_url.get_secret_value())
    return PostgresRevocationStore(sessions, reads)


def build_services(core: CoreServices) -> Services:
    settings = core.settings
    engine = create_engine(settings, core.database_url)
    sessions = Sessions(engine)
    revocations = RevocationList(_revocation_store(settings, sessions, core.read_pool))
    provider = build_provider(settings)
    return Services(
        **{field.name: getattr(core, field.name) for field in fields(CoreServices)},
        engine=engine,
        sessions=sessions,
        cognito=CognitoClient(settings),
        revocations=revocations,
        tokens=TokenVerifier(settings, revocations),
        provider=provider,
        streamer=ReplyStreamer(sessions, provider),
        chat_listing=ChatListing(core.read_pool),
    )
