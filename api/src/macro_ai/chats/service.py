"""Chat rules: paging, titles, ownership (a foreign chat is simply not found)."""

from __future__ import annotations

import uuid

from sqlalchemy import RowMapping

from macro_ai.chats.models import Chat, ChatMessage
from macro_ai.chats.repository import ChatRepository
from macro_ai.errors import NotFoundError


class ChatService:
    def __init__(self, chats: ChatRepository) -> None:
        self.chats = chats

    async def page(self, user_id: str, page: int, limit: int) -> tuple[list[RowMapping], int]:
        return await self.chats.page(uuid.UUID(user_id), (page - 1) * limit, limit)

    async def create(self, user_id: str, title: str) -> Chat:
        chat = await self.chats.create(uuid.UUID(user_id), title)
        if chat is None:
            raise NotFoundError("User profile not found; log in again")
        return chat

    async def get(self, user_id: str, chat_id: uuid.UUID) -> Chat:
        chat = await self.chats.get(uuid.UUID(user_id), chat_id)
        if chat is None:
            raise NotFoundError("Chat not found")
        return chat

    async def get_with_messages(self, user_id: str, chat_id: uuid.UUID) -> tuple[Chat, list[ChatMessage]]:
        chat = await self.get(user_id, chat_id)
        return chat, await self.chats.messages(uuid.UUID(user_id), chat_id)

    async def rename(self, user_id: str, chat_id: uuid.UUID, title: str) -> Chat:
        chat = await self.chats.rename(uuid.UUID(user_id), chat_id, title)
        if chat is None:
            raise NotFoundError("Chat not found")
        return chat

    async def delete(self, user_id: str, chat_id: uuid.UUID) -> None:
        if not await self.chats.delete(uuid.UUID(user_id), chat_id):
            raise NotFoundError("Chat not found")
