"""The chat list, the hottest read: one query on a plain asyncpg connection, answered as JSON bytes.

Measured per page of 20 (CPU of the API process, docs/benchmarks.md): through an ORM session about
930 µs of CPU for the query alone, through the driver about 190 µs. The connection comes from the
read pool (``macro_ai.db.read_pool``: why a second pool). Ownership is the WHERE clause: a user
only ever lists their own chats. The body is written with orjson in exactly the shape ``ChatPage``
documents (tests/test_chats.py and the client contract test check it).
"""

from __future__ import annotations

import uuid

import asyncpg
import orjson

from macro_ai.chats.schemas import ChatOut
from macro_ai.db.read_pool import ReadPool

# The columns of ChatOut, in order, then the total as a window count: one round trip per page.
_COLUMNS = list(ChatOut.model_fields)
_KEYS = [ChatOut.model_fields[name].alias or name for name in _COLUMNS]
# The column names are ChatOut's field names; no input reaches the text.
PAGE_QUERY = (
    f"SELECT {', '.join(_COLUMNS)}, count(*) OVER () AS total FROM chats "  # noqa: S608
    "WHERE user_id = $1 ORDER BY updated_at DESC, id LIMIT $2 OFFSET $3"
)
COUNT_QUERY = "SELECT count(*) FROM chats WHERE user_id = $1"


class ChatListing:
    def __init__(self, reads: ReadPool) -> None:
        self.reads = reads

    async def page(self, user_id: uuid.UUID, page: int, limit: int) -> tuple[list[asyncpg.Record], int]:
        """Page ``page`` (from 1) of the user's chats, most recently updated first, and their total."""
        rows = await self.reads.fetch(PAGE_QUERY, user_id, limit, (page - 1) * limit)
        if rows:
            return rows, int(rows[0]["total"])
        # An empty page (past the end, or no chats) still needs the total.
        [(total,)] = await self.reads.fetch(COUNT_QUERY, user_id)
        return rows, int(total)


def page_json(rows: list[asyncpg.Record], page: int, limit: int, total: int) -> bytes:
    """``ChatPage`` as JSON: the same keys, and datetimes as pydantic writes them (``...Z``)."""
    body = {
        "success": True,
        "data": [dict(zip(_KEYS, row, strict=False)) for row in rows],  # the total column is left out
        "meta": {"page": page, "limit": limit, "total": total},
    }
    # The read pool's connections return UUIDs as canonical text (macro_ai.db.read_pool).
    return orjson.dumps(body, option=orjson.OPT_UTC_Z)
