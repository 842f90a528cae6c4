"""Chat rules: titles, ownership (a foreign chat is simply not found), streamed replies."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence

from macro_ai.ai.provider import ChatTurn
from macro_ai.chats.models import Chat, ChatMessage
from macro_ai.chats.repository import ChatRepository
from macro_ai.chats.streaming import ReplyStreamer, StreamTarget
from macro_ai.errors import NotFoundError


class ChatService:
    def __init__(self, chats: ChatRepository, streamer: ReplyStreamer) -> None:
        self.chats = chats
        self.streamer = streamer

    async def create(self, user_id: uuid.UUID, title: str) -> Chat:
        chat = await self.chats.create(user_id, title)
        if chat is None:
            raise NotFoundError("User profile not found; log in again")
        return chat

    async def get(self, user_id: uuid.UUID, chat_id: uuid.UUID) -> Chat:
        chat = await self.chats.get(user_id, chat_id)
        if chat is None:
            raise NotFoundError("Chat not found")
        return chat

    async def messages(self, chat: Chat) -> list[ChatMessage]:
        """The messages of a chat the caller owns (``OwnedChatDep`` did the ownership lookup)."""
        return await self.chats.messages_of(chat.id)

    async def rename(self, user_id: uuid.UUID, chat_id: uuid.UUID, title: str) -> Chat:
        # One owner-scoped UPDATE is both the ownership check and the change.
        chat = await self.chats.rename(user_id, chat_id, title)
        if chat is None:
            raise NotFoundError("Chat not found")
        return chat

    async def delete(self, user_id: uuid.UUID, chat_id: uuid.UUID) -> None:
        if not await self.chats.delete(user_id, chat_id):
            raise NotFoundError("Chat not found")

    async def stream_reply(
        self, user_id: uuid.UUID, chat_id: uuid.UUID, turns: Sequence[ChatTurn]
    ) -> AsyncIterator[str]:
        """Store the user's message (the ownership check, under a lock) and stream the reply."""
        return await self.streamer.start(StreamTarget(user_id, chat_id), turns)
