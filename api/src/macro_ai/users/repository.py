"""Users in PostgreSQL. Rows are keyed by the Cognito ``sub``."""

from __future__ import annotations

import uuid

from sqlalchemy import func, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from macro_ai.users.models import User


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: uuid.UUID) -> User | None:
        return await self.session.get(User, user_id)

    async def _release_email(self, user_id: uuid.UUID, email: str) -> None:
        """An email now owned by another Cognito identity (the account was deleted and made again):
        the old row keeps its data under a placeholder address instead of blocking the new one."""
        await self.session.execute(
            update(User)
            .where(User.email == email, User.id != user_id)
            .values(email=func.concat(func.cast(User.id, User.email.type), "@superseded.invalid"))
        )

    async def record_registration(self, user_id: uuid.UUID, email: str) -> None:
        await self._release_email(user_id, email)
        await self.session.execute(
            insert(User).values(id=user_id, email=email, email_verified=False).on_conflict_do_nothing()
        )
        await self.session.commit()

    async def record_confirmation(self, email: str) -> None:
        await self.session.execute(
            update(User).where(User.email == email).values(email_verified=True, updated_at=func.now())
        )
        await self.session.commit()

    async def record_login(self, user_id: uuid.UUID, email: str) -> None:
        await self._release_email(user_id, email)
        statement = insert(User).values(id=user_id, email=email, email_verified=True, last_login=func.now())
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[User.id],
                set_={
                    "email": email,
                    "email_verified": True,
                    "last_login": func.now(),
                    "updated_at": func.now(),
                },
            )
        )
        await self.session.commit()
