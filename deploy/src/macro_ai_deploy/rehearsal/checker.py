"""Every acknowledged write, checked against PostgreSQL after the run.

Acknowledged: a chat creation answered 201, a rename answered 200, a stream answered 200 (the user's
message is stored before the reply starts) and, for a stream whose body completed, the assistant's reply.
Renames of one chat never overlap (the load generator serialises them), so the stored title must be the
last acknowledged one, or a later attempt whose answer was lost (it may have been applied).
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from macro_ai_deploy.rehearsal.load import Record


@dataclass
class WriteCheck:
    acknowledged: int = 0
    found: int = 0
    missing: list[str] = field(default_factory=list)

    @property
    def lost(self) -> int:
        return self.acknowledged - self.found


def _expectations(records: list[Record], setup_titles: dict[str, str]) -> tuple[dict[str, set[str]], int]:
    """Per chat, the titles it may have now; and how many title writes were acknowledged."""
    history: dict[str, list[Record]] = defaultdict(list)
    for r in records:
        if r.kind in ("create", "rename") and r.chat_id:
            history[r.chat_id].append(r)
    allowed: dict[str, set[str]] = {}
    acknowledged = 0
    for chat_id, writes in history.items():
        writes.sort(key=lambda r: r.due)
        acked = [i for i, r in enumerate(writes) if r.status in (200, 201)]
        acknowledged += len(acked)
        if not acked:
            continue
        last = acked[-1]
        allowed[chat_id] = {writes[last].title} | {r.title for r in writes[last + 1 :]}
    for chat_id, title in setup_titles.items():
        if chat_id in allowed:
            continue
        renames = [r for r in history.get(chat_id, []) if r.kind == "rename"]
        if renames:  # none acknowledged: the setup title, or any attempt that may have landed
            allowed[chat_id] = {title} | {r.title for r in renames}
    return allowed, acknowledged


async def _query(database_url: str, chat_ids: list[str]) -> tuple[dict[str, str], Any]:
    import asyncpg

    conn = await asyncpg.connect(database_url)
    try:
        titles = await conn.fetch(
            "SELECT id::text AS id, title FROM chats WHERE id = ANY($1::uuid[])",
            [uuid.UUID(c) for c in chat_ids],
        )
        messages = await conn.fetch(
            "SELECT role, split_part(content, ' ', 1) AS first,"
            " split_part(content, 'You said: ', 2) AS echoed,"
            " coalesce(metadata->>'partial', '') AS partial FROM chat_messages"
            " WHERE chat_id = ANY($1::uuid[])",
            list({uuid.UUID(c) for c in chat_ids}),
        )
        return {r["id"]: r["title"] for r in titles}, messages
    finally:
        await conn.close()


def check_writes(database_url: str, records: list[Record], setup_titles: dict[str, str]) -> WriteCheck:
    allowed, title_acks = _expectations(records, setup_titles)
    streams = [r for r in records if r.kind == "stream" and r.status == 200]
    chat_ids = sorted(set(allowed) | {r.chat_id for r in streams})
    titles, messages = asyncio.run(_query(database_url, chat_ids))
    result = WriteCheck()
    result.acknowledged = title_acks
    acked_per_chat: dict[str, int] = defaultdict(int)
    for r in records:
        if r.kind in ("create", "rename") and r.chat_id and r.status in (200, 201):
            acked_per_chat[r.chat_id] += 1
    for chat_id, options in allowed.items():
        if not acked_per_chat.get(chat_id):
            continue
        if titles.get(chat_id) in options:
            result.found += acked_per_chat[chat_id]
        else:
            result.missing.append(
                f"chat {chat_id}: title {titles.get(chat_id)!r}, expected one of {sorted(options)}"
            )
    user_markers = {m["first"] for m in messages if m["role"] == "user"}
    replies = {
        m["echoed"].split(" ", 1)[0] for m in messages if m["role"] == "assistant" and not m["partial"]
    }
    for r in streams:
        result.acknowledged += 1
        if r.marker in user_markers:
            result.found += 1
        else:
            result.missing.append(f"stream {r.marker}: user message missing")
        if r.stream_complete:
            result.acknowledged += 1
            if r.marker in replies:
                result.found += 1
            else:
                result.missing.append(f"stream {r.marker}: complete reply not stored")
    return result
