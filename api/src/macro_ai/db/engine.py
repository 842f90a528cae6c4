"""The async engine: asyncpg under SQLAlchemy, with the database URL read per new connection.

Connections are made from ``DatabaseUrl.current`` each time, so a password that RDS rotated is used
by the next connection without a restart. No ``pool_pre_ping``: it cost a round trip on every
check-out (8 % of a GET /api/chats in a profile). A connection that died with a database restart
fails its request once; SQLAlchemy then sees the disconnect and invalidates the whole pool, so the
service still recovers by itself (test_service_recovers_from_a_database_restart).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from macro_ai.config.database_login import DatabaseUrl
from macro_ai.config.schema import Settings
from macro_ai.db.connection import connect
from macro_ai.errors import DatabaseBusyError


def sqlalchemy_url(url: str) -> str:
    return re.sub(r"^postgres(ql)?(\+asyncpg)?://", "postgresql+asyncpg://", url)


def create_engine(settings: Settings, database_url: DatabaseUrl) -> AsyncEngine:
    return create_async_engine(
        "postgresql+asyncpg://",
        async_creator=lambda: connect(settings, database_url),
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        pool_timeout=settings.database_pool_timeout_seconds,
        pool_recycle=1800,
    )


class Sessions:
    """ORM sessions on the engine. No connection within the pool timeout is ``DatabaseBusyError``, as
    on the read pool: one exception (a 503 with Retry-After) for an overloaded database, whichever
    pool ran dry, and no SQLAlchemy class in the app's error handlers (they are installed before the
    ORM is imported)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    @contextlib.asynccontextmanager
    async def __call__(self) -> AsyncIterator[AsyncSession]:
        try:
            async with self._sessions() as session:
                yield session
        except PoolTimeout as error:
            raise DatabaseBusyError(type(error).__name__) from None


async def warm_pool(engine: AsyncEngine, size: int) -> int:
    """Open ``size`` connections at once and return them to the pool, so the first burst of traffic
    finds them open instead of queueing behind connects (a cold pool under 50 simultaneous requests
    made requests wait past the pool timeout). Returns how many opened; the database being away is
    not an error here: readiness reports it, and requests connect once it is back."""
    async with contextlib.AsyncExitStack() as held:
        opened = 0
        for _ in range(size):
            try:
                connection = await held.enter_async_context(engine.connect())
                await connection.get_raw_connection()
            except (OSError, SQLAlchemyError):
                break
            opened += 1
    return opened
