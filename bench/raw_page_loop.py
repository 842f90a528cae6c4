"""The ceiling for GET /api/chats: the same page query straight through asyncpg, 50 concurrent tasks,
uvloop, on the server's core. Prints ``queries seconds cpu_seconds`` for the harness.

    python raw_page_loop.py DATABASE_URL USER_ID SECONDS POOL_SIZE
"""

from __future__ import annotations

import asyncio
import resource
import sys
import time
import uuid

import asyncpg
import uvloop
from macro_ai.chats.listing import PAGE_QUERY  # the service's own query: a page and its total
from macro_ai.db.read_pool import keep_session

TASKS = 50


async def run(url: str, user_id: uuid.UUID, seconds: float, pool_size: int) -> tuple[int, float]:
    # reset=keep_session: the service's read pool skips asyncpg's session reset on release (one round
    # trip); the ceiling skips it too, so both measure the same work.
    pool = await asyncpg.create_pool(url, min_size=pool_size, max_size=pool_size, reset=keep_session)
    done = 0
    deadline = time.monotonic() + seconds

    async def worker() -> None:
        nonlocal done
        while time.monotonic() < deadline:
            async with pool.acquire() as connection:
                rows = await connection.fetch(PAGE_QUERY, user_id, 20, 0)
            assert len(rows) == 20
            done += 1

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(TASKS)))
    elapsed = time.monotonic() - started
    await pool.close()
    return done, elapsed


def main() -> None:
    url, user, seconds, pool_size = sys.argv[1], uuid.UUID(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
    before = resource.getrusage(resource.RUSAGE_SELF)
    done, elapsed = uvloop.run(run(url, user, seconds, pool_size))
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(done, elapsed, cpu)


if __name__ == "__main__":
    main()
