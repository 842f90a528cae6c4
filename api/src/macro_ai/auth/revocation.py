"""Signed-out sessions, refused on every instance within seconds, at the cost of a set lookup.

Logout writes the session's id (the token's ``origin_jti``, shared by every token refreshed from the
same sign-in, else its ``jti``) with the time its tokens expire into a shared store: PostgreSQL, or
Redis when ``REDIS_URL`` is set. Each instance keeps the unexpired ids in memory and reloads them
every ``REFRESH_SECONDS`` in the background, so a request never waits on the store. Entries expire
with the tokens and are pruned.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Protocol

import structlog
from sqlalchemy.dialects.postgresql import insert

from macro_ai.auth.models import RevokedSession
from macro_ai.db.engine import Sessions
from macro_ai.db.read_pool import ReadPool

log = structlog.get_logger("macro_ai.auth")

# Another instance refuses a signed-out session within this time (plus one store round trip).
REFRESH_SECONDS = 2.0


class RevocationStore(Protocol):
    async def add(self, session_id: str, expires_at: int) -> None: ...

    async def active(self, now: int) -> set[str]:
        """Every revoked session whose tokens have not expired yet; prunes the rest."""
        ...


_TABLE = RevokedSession.__tablename__
ACTIVE_QUERY = f"SELECT session_id FROM {_TABLE} WHERE expires_at > $1"  # noqa: S608 - no input in it
PRUNE_STATEMENT = f"DELETE FROM {_TABLE} WHERE expires_at <= $1"  # noqa: S608
PRUNE_SECONDS = 60.0


class PostgresRevocationStore:
    """Written through an ORM session (logout is rare); read through the read pool's plain
    connections (every ``REFRESH_SECONDS`` on every instance), and pruned about once a minute.

    The reload through an ORM session cost about 2 ms of CPU, and on a host that pages out memory
    left idle for a second or two (this development machine does) it cost 40-100 ms, every 2 s, with
    the event loop blocked: a p99 of 50 ms on endpoints that answer in 0.3 ms (docs/benchmarks.md).
    """

    def __init__(self, sessions: Sessions, reads: ReadPool) -> None:
        self.sessions = sessions
        self.reads = reads
        self._pruned_at = float("-inf")

    async def add(self, session_id: str, expires_at: int) -> None:
        expires = datetime.fromtimestamp(expires_at, UTC)
        statement = insert(RevokedSession).values(session_id=session_id, expires_at=expires)
        async with self.sessions() as session:
            await session.execute(
                statement.on_conflict_do_update(
                    index_elements=[RevokedSession.session_id], set_={"expires_at": expires}
                )
            )
            await session.commit()

    async def active(self, now: int) -> set[str]:
        moment = datetime.fromtimestamp(now, UTC)
        if time.monotonic() - self._pruned_at >= PRUNE_SECONDS:
            await self.reads.fetch(PRUNE_STATEMENT, moment)
            self._pruned_at = time.monotonic()
        return {row[0] for row in await self.reads.fetch(ACTIVE_QUERY, moment)}


class RedisRevocationStore:
    """One sorted set: member = session id, score = expiry (epoch seconds)."""

    KEY = "macro-ai:revoked-sessions"

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        self._redis = redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)

    async def add(self, session_id: str, expires_at: int) -> None:
        await self._redis.zadd(self.KEY, {session_id: expires_at})

    async def active(self, now: int) -> set[str]:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(self.KEY, "-inf", now)
            pipe.zrange(self.KEY, 0, -1)
            _, members = await pipe.execute()
        return {m.decode() if isinstance(m, bytes) else str(m) for m in members}


class RevocationList:
    def __init__(self, store: RevocationStore) -> None:
        self.store = store
        self._revoked: set[str] = set()
        # Revoked here lately: kept across a reload whose snapshot was read before the write landed.
        self._recent: dict[str, float] = {}

    def is_revoked(self, session_id: str) -> bool:
        return session_id in self._revoked

    async def revoke(self, session_id: str, expires_at: int) -> None:
        self._recent[session_id] = time.monotonic()
        self._revoked.add(session_id)  # this instance refuses it at once
        await self.store.add(session_id, expires_at)

    async def reload(self) -> None:
        fresh = await self.store.active(int(time.time()))
        horizon = time.monotonic() - 3 * REFRESH_SECONDS
        self._recent = {key: at for key, at in self._recent.items() if at > horizon}
        self._revoked = fresh | self._recent.keys()

    async def reload_forever(self) -> None:
        failing = False
        while True:
            try:
                await self.reload()
            except Exception as exc:  # keep the last list; the next round may succeed
                if not failing:  # once per outage, not every round
                    log.warning("revocation list reload failed", error_type=type(exc).__name__)
                failing = True
            else:
                if failing:
                    log.info("revocation list reloads again")
                failing = False
            await asyncio.sleep(REFRESH_SECONDS)
