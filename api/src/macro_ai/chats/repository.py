"""Chats and messages in PostgreSQL. Every query is scoped to the owner: ownership is enforced
here, in the data access, so no caller can forget it."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from macro_ai.chats.models import Chat, ChatMessage


class ChatRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(self, user_id: uuid.UUID, title: str) -> Chat | None:
        """None when the user has no profile row (a valid token from a login that bypassed this API)."""
        chat = Chat(user_id=user_id, title=title)
        self.session.add(chat)
        try:
            await self.session.commit()
        except IntegrityError:
            await self.session.rollback()
            return None
        await self.session.refresh(chat)
        return chat

    async def get(self, user_id: uuid.UUID, chat_id: uuid.UUID) -> Chat | None:
        result = await self.session.scalars(select(Chat).where(Chat.id == chat_id, Chat.user_id == user_id))
        return result.one_or_none()

    async def messages_of(self, chat_id: uuid.UUID) -> list[ChatMessage]:
        """The messages of a chat whose ownership the caller has already checked."""
        rows = await self.session.scalars(
            select(ChatMessage)
            .where(ChatMessage.chat_id == chat_id)
            .order_by(ChatMessage.created_at, ChatMessage.id)
        )
        return list(rows)

    async def rename(self, user_id: uuid.UUID, chat_id: uuid.UUID, title: str) -> Chat | None:
        result = await self.session.scalars(
            update(Chat)
            .where(Chat.id == chat_id, Chat.user_id == user_id)
            .values(title=title, updated_at=func.now())
            .returning(Chat)
        )
        chat = result.one_or_none()
        await self.session.commit()
        return chat

    async def delete(self, user_id: uuid.UUID, chat_id: uuid.UUID) -> bool:
        result = await self.session.execute(
            delete(Chat).where(Chat.id == chat_id, Chat.user_id == user_id).returning(Chat.id)
        )
        deleted = result.scalar_one_or_none() is not None
        await self.session.commit()
        return deleted

    async def add_message(
        self, user_id: uuid.UUID, chat_id: uuid.UUID, role: str, content: str, metadata: dict[str, Any]
    ) -> uuid.UUID | None:
        """Store a message in an owned chat and touch the chat; None if the chat is not the user's."""
        # The key-share lock keeps the chat from being deleted between this check and the insert.
        owned = await self.session.scalar(
            select(Chat.id).where(Chat.id == chat_id, Chat.user_id == user_id).with_for_update(key_share=True)
        )
        if owned is None:
            await self.session.rollback()
            return None
        message = ChatMessage(chat_id=chat_id, role=role, content=content, metadata_=metadata)
        self.session.add(message)
        await self.session.execute(update(Chat).where(Chat.id == chat_id).values(updated_at=func.now()))
        await self.session.commit()
        return message.id
