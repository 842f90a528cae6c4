"""The account rules on top of Cognito: user rows, confirmation, sessions, password reset."""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass

from macro_ai.auth.cognito import CognitoClient, InvalidRequestError, Tokens
from macro_ai.auth.cookies import decrypt
from macro_ai.auth.revocation import RevocationList
from macro_ai.auth.tokens import Principal, TokenVerifier
from macro_ai.errors import UnauthorizedError
from macro_ai.users.repository import UserRepository


@dataclass(frozen=True)
class Session:
    tokens: Tokens
    principal: Principal


class AuthService:
    def __init__(
        self,
        cognito: CognitoClient,
        verifier: TokenVerifier,
        revocations: RevocationList,
        users: UserRepository,
    ) -> None:
        self.cognito = cognito
        self.verifier = verifier
        self.revocations = revocations
        self.users = users

    async def register(self, email: str, password: str) -> uuid.UUID:
        user_id = uuid.UUID(await self.cognito.sign_up(email, password))
        await self.users.record_registration(user_id, email)
        return user_id

    async def confirm_registration(self, email: str, code: str) -> None:
        try:
            await self.cognito.confirm_sign_up(email, code)
        except UnauthorizedError:  # unknown user: same answer as a wrong code
            raise InvalidRequestError("Invalid or expired code") from None
        await self.users.record_confirmation(email)

    async def resend_confirmation_code(self, email: str) -> None:
        # No account, or already confirmed: the answer does not say which.
        with contextlib.suppress(UnauthorizedError, InvalidRequestError):
            await self.cognito.resend_confirmation_code(email)

    async def login(self, email: str, password: str) -> Session:
        tokens = await self.cognito.login(email, password)
        principal = await self.verifier.verify_access_token(tokens.access_token)
        await self.users.record_login(principal.user_id, email)
        return Session(tokens, principal)

    async def refresh(self, refresh_token: str | None, synchronize: str | None, key_hex: str) -> Session:
        username = decrypt(key_hex, synchronize) if synchronize else None
        if not refresh_token or not username:
            raise UnauthorizedError("Missing or invalid session cookies")
        tokens = await self.cognito.refresh(username, refresh_token)
        principal = await self.verifier.verify_access_token(tokens.access_token)
        return Session(tokens, principal)

    async def logout(self, principal: Principal) -> None:
        # Cognito ends the refresh tokens; our revocation list ends the access tokens, which Cognito
        # cannot recall and every instance verifies locally.
        await self.revocations.revoke(principal.session_id, principal.expires_at)
        # Already signed out everywhere is the outcome the caller wants.
        with contextlib.suppress(UnauthorizedError):
            await self.cognito.global_sign_out(principal.access_token)

    async def forgot_password(self, email: str) -> None:
        # Never reveal whether an account exists.
        with contextlib.suppress(UnauthorizedError, InvalidRequestError):
            await self.cognito.forgot_password(email)

    async def confirm_forgot_password(self, email: str, code: str, password: str) -> None:
        try:
            await self.cognito.confirm_forgot_password(email, code, password)
        except UnauthorizedError:  # unknown account: answered like a wrong code
            raise InvalidRequestError("Invalid or expired code") from None

    async def current_user(self, principal: Principal) -> tuple[uuid.UUID, str, bool]:
        user = await self.users.get(principal.user_id)
        if user is None:
            raise UnauthorizedError("Unknown user; please log in again")
        return user.id, user.email, user.email_verified
