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

import asyncpg
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from macro_ai.config.database_login import DatabaseUrl
from macro_ai.config.schema import Settings

COMMAND_TIMEOUT_SECONDS = 30


def asyncpg_dsn(url: str) -> str:
    """asyncpg wants plain ``postgresql://``; SQLAlchemy-style driver suffixes are dropped."""
    return re.sub(r"^postgres(ql)?(\+asyncpg)?://", "postgresql://", url)


def sqlalchemy_url(url: str) -> str:
    return re.sub(r"^postgres(ql)?(\+asyncpg)?://", "postgresql+asyncpg://", url)


async def connect(settings: Settings, database_url: DatabaseUrl) -> asyncpg.Connection:
    """A new connection, with the login as it is now (after any rotation). Both pools use it."""
    return await asyncpg.connect(
        asyncpg_dsn(database_url.current),
        timeout=settings.database_connect_timeout_seconds,
        command_timeout=COMMAND_TIMEOUT_SECONDS,
        server_settings={"application_name": "macro-ai-api"},
    )


def create_engine(settings: Settings, database_url: DatabaseUrl) -> AsyncEngine:
    return create_async_engine(
        "postgresql+asyncpg://",
        async_creator=lambda: connect(settings, database_url),
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        pool_timeout=settings.database_pool_timeout_seconds,
        pool_recycle=1800,
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


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
