"""Alembic environment: online migrations over asyncpg, serialized by an advisory lock."""

import asyncio

from alembic import context
from macro_ai.auth import models as _auth  # noqa: F401 - registers the tables
from macro_ai.chats import models as _chats  # noqa: F401 - registers the tables
from macro_ai.db.base import Base
from macro_ai.db.engine import sqlalchemy_url
from macro_ai.db.migrate import ADVISORY_LOCK_KEY
from macro_ai.users import models as _users  # noqa: F401 - registers the tables
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool


def _run(connection: Connection) -> None:
    # Session-level lock, taken and committed before Alembic reads the current revision.
    connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
    connection.commit()
    try:
        context.configure(connection=connection, target_metadata=Base.metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    finally:
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
        connection.commit()


async def _main() -> None:
    url = context.config.attributes["database_url"]
    engine = create_async_engine(sqlalchemy_url(url), poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run against a database")
asyncio.run(_main())
