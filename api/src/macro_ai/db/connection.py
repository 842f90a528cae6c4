"""One asyncpg connection with the login as it is now: both pools (the engine's and the read pool)
open their connections here, so an RDS password rotation reaches both. No SQLAlchemy: the read pool
and readiness are up before the ORM is imported (macro_ai.features)."""

from __future__ import annotations

import re

import asyncpg

from macro_ai.config.database_login import DatabaseUrl
from macro_ai.config.schema import Settings

COMMAND_TIMEOUT_SECONDS = 30


def asyncpg_dsn(url: str) -> str:
    """asyncpg wants plain ``postgresql://``; SQLAlchemy-style driver suffixes are dropped."""
    return re.sub(r"^postgres(ql)?(\+asyncpg)?://", "postgresql://", url)


async def connect(settings: Settings, database_url: DatabaseUrl) -> asyncpg.Connection:
    """A new connection, with the login as it is now (after any rotation)."""
    return await asyncpg.connect(
        asyncpg_dsn(database_url.current),
        timeout=settings.database_connect_timeout_seconds,
        command_timeout=COMMAND_TIMEOUT_SECONDS,
        server_settings={"application_name": "macro-ai-api"},
    )
