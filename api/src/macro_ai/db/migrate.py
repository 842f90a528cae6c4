"""Alembic, driven from code: the service owns its schema through versioned migrations.

Migrations are their own deployment step (``macro-ai db upgrade``), never raced by every task at boot.
Several runners at once are safe: each takes a PostgreSQL advisory lock before reading the current
revision, so the second one waits, then finds the schema at head and does nothing.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# An arbitrary, fixed 64-bit key: "macro-ai" in ASCII.
ADVISORY_LOCK_KEY = int.from_bytes(b"macro-ai", "big") & 0x7FFF_FFFF_FFFF_FFFF


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = database_url
    return config


def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config("")).get_heads())


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


async def current_revision(database_url: str) -> str | None:
    import asyncpg

    from macro_ai.db.connection import asyncpg_dsn

    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        exists = await connection.fetchval("SELECT to_regclass('alembic_version') IS NOT NULL")
        return await connection.fetchval("SELECT version_num FROM alembic_version") if exists else None
    finally:
        await connection.close()
