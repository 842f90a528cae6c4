"""Profiles: a user sees their own profile and nobody else's."""

from __future__ import annotations

import uuid

from macro_ai.errors import NotFoundError
from macro_ai.users.models import User
from macro_ai.users.repository import UserRepository


class UserService:
    def __init__(self, users: UserRepository) -> None:
        self.users = users

    async def profile(self, caller: uuid.UUID, requested_id: uuid.UUID | None = None) -> User:
        # Another user's id answers exactly like a missing one: no way to probe who exists.
        if requested_id is not None and requested_id != caller:
            raise NotFoundError("User not found")
        user = await self.users.get(caller)
        if user is None:
            raise NotFoundError("User not found")
        return user
