"""A second, small pool of plain asyncpg connections for the hottest read (the chat list) and
the revocation list's reload (every 2 s on every instance).

Why not the engine's pool: every SQLAlchemy async call (checkout, return) runs through
``greenlet_spawn``, and a greenlet switch copies the C stack under it, which is deep inside a
request's ASGI stack. Measured in process with 50 concurrent requests (docs/benchmarks.md): about
910 µs of CPU per ``GET /api/chats`` through the engine's pool against about 670 µs through this one.

It opens connections with the same login as the engine (``macro_ai.db.connection.connect``, so an RDS
password rotation reaches both) and the same size, so a task holds at most twice
``DATABASE_POOL_SIZE`` connections. It is warmed at start; a connection that dies with a database
restart is closed by asyncpg and replaced on the next acquire. No free connection within the pool
timeout, or no database, is ``DatabaseBusyError``: a 503 with Retry-After.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from macro_ai.config.database_login import DatabaseUrl
from macro_ai.config.schema import Settings
from macro_ai.db.connection import connect
from macro_ai.errors import DatabaseBusyError

# The database is away or the connection broke: the request cannot be served now, but may be soon.
UNAVAILABLE = (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError, TimeoutError)


async def keep_session(_: asyncpg.Connection) -> None:
    """No reset on release. asyncpg's default resets the session (RESET ALL, UNLISTEN, unlock
    advisory locks: one more round trip per request); these connections only ever run single statements
    (SELECTs, and the revocation list's prune) outside transactions: no session state to reset."""


async def uuids_as_text(connection: asyncpg.Connection) -> None:
    """UUIDs arrive as ``str`` in their canonical form: the rows go straight to JSON, and orjson
    would call back into Python for every one of asyncpg's own UUID objects (40 a page)."""
    await connection.set_type_codec("uuid", schema="pg_catalog", encoder=str, decoder=str, format="text")


class ReadPool:
    def __init__(self, settings: Settings, database_url: DatabaseUrl) -> None:
        self.settings = settings
        self.database_url = database_url
        self._pool: asyncpg.Pool | None = None
        self._creating = asyncio.Lock()
        # First come, first served. asyncpg's pool queue lets a newly arrived request take a connection
        # that was just handed to a waiter (the waiter wakes to an empty queue and queues again at the
        # back), so under load some requests waited many turns: in-app p50 9 ms, p99 89 ms. asyncio's
        # Semaphore is FIFO for waiters, and with it in front the pool's own queue is never contended.
        self._turns = asyncio.Semaphore(settings.database_pool_size)

    async def _connect(self, *_: Any, **__: Any) -> asyncpg.Connection:
        return await connect(self.settings, self.database_url)

    async def _get(self) -> asyncpg.Pool:
        if self._pool is None:
            async with self._creating:
                if self._pool is None:
                    # min_size=0: creating the pool connects nothing, so it cannot fail; warm() and
                    # the requests open the connections.
                    self._pool = await asyncpg.create_pool(
                        min_size=0,
                        max_size=self.settings.database_pool_size,
                        connect=self._connect,
                        reset=keep_session,
                        init=uuids_as_text,
                    )
        return self._pool

    async def _acquire(self) -> tuple[asyncpg.Pool, asyncpg.Connection]:
        pool = self._pool or await self._get()
        # When a turn and an open connection are free there is nothing to wait for, so no timer.
        # Otherwise asyncio.timeout, not acquire(timeout=...): that wraps every acquire in a task of
        # its own; this only schedules a timer.
        must_wait = self._turns.locked() or pool.get_idle_size() == 0
        bound: contextlib.AbstractAsyncContextManager[object] = (
            asyncio.timeout(self.settings.database_pool_timeout_seconds)
            if must_wait
            else contextlib.nullcontext()
        )
        try:
            async with bound:
                await self._turns.acquire()
                return pool, await self._checked_out(pool)
        except UNAVAILABLE as error:
            raise DatabaseBusyError(type(error).__name__) from None

    async def _checked_out(self, pool: asyncpg.Pool) -> asyncpg.Connection:
        """A connection for the turn just taken; the turn is given back if none comes."""
        try:
            connection: asyncpg.Connection = await pool.acquire()
        except BaseException:
            self._turns.release()
            raise
        return connection

    async def _release(self, pool: asyncpg.Pool, connection: asyncpg.Connection) -> None:
        try:
            await pool.release(connection)
        finally:
            self._turns.release()

    async def fetch(self, query: str, *args: object) -> list[asyncpg.Record]:
        """One query on a connection of its own: the hot path, without a context manager's frames."""
        pool, connection = await self._acquire()
        try:
            rows: list[asyncpg.Record] = await connection.fetch(query, *args)
        except UNAVAILABLE as error:  # the connection broke mid-query: asyncpg replaces it
            raise DatabaseBusyError(type(error).__name__) from None
        finally:
            await self._release(pool, connection)
        return rows

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        pool, connection = await self._acquire()
        try:
            yield connection
        except UNAVAILABLE as error:  # the connection broke mid-query: asyncpg replaces it
            raise DatabaseBusyError(type(error).__name__) from None
        finally:
            await self._release(pool, connection)

    async def warm(self) -> int:
        """Open every connection now, so the first burst of traffic does not queue behind connects
        (a cold pool under 50 simultaneous requests answered some after the pool timeout)."""
        pool = await self._get()
        size = self.settings.database_pool_size
        results = await asyncio.gather(*(pool.acquire() for _ in range(size)), return_exceptions=True)
        opened = [result for result in results if not isinstance(result, BaseException)]
        for connection in opened:
            await pool.release(connection)
        return len(opened)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
