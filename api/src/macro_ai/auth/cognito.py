"""A small adapter over boto3's cognito-idp client: the only place that talks to Cognito.

boto3 is synchronous, so each call runs in a worker thread. Every call carries the secret hash the
app client requires. Cognito's error codes are translated into the service's own exceptions here,
so the rest of the code never sees botocore.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog

from macro_ai.config.schema import Settings
from macro_ai.errors import AppError, ConflictError, UnauthorizedError

log = structlog.get_logger("macro_ai.auth")


class InvalidRequestError(AppError):
    status_code = 400
    error_type = "BadRequest"


class NotConfirmedError(AppError):
    status_code = 403
    error_type = "Forbidden"


class TooManyAttemptsError(AppError):
    status_code = 429
    error_type = "TooManyRequests"


class IdentityProviderError(AppError):
    status_code = 502
    error_type = "BadGateway"


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int


def secret_hash(username: str, client_id: str, client_secret: str) -> str:
    digest = hmac.new(client_secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


# Cognito error code -> what the client sees. Login failures never say whether the account exists.
_ERRORS: dict[str, Callable[[], AppError]] = {
    "UsernameExistsException": lambda: ConflictError("An account with this email already exists"),
    "InvalidPasswordException": lambda: InvalidRequestError("Password does not meet the password policy"),
    "CodeMismatchException": lambda: InvalidRequestError("Invalid or expired code"),
    "ExpiredCodeException": lambda: InvalidRequestError("Invalid or expired code"),
    "NotAuthorizedException": lambda: UnauthorizedError("Incorrect email or password"),
    "UserNotFoundException": lambda: UnauthorizedError("Incorrect email or password"),
    "UserNotConfirmedException": lambda: NotConfirmedError("Account is not confirmed yet"),
    "LimitExceededException": lambda: TooManyAttemptsError("Too many attempts, please try again later"),
    "TooManyRequestsException": lambda: TooManyAttemptsError("Too many attempts, please try again later"),
    "TooManyFailedAttemptsException": lambda: TooManyAttemptsError(
        "Too many attempts, please try again later"
    ),
    "InvalidParameterException": lambda: InvalidRequestError("Invalid request"),
    "AliasExistsException": lambda: ConflictError("An account with this email already exists"),
}


def error_code(exc: Exception) -> str | None:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None


class CognitoClient:
    def __init__(self, settings: Settings, client: Any = None) -> None:
        self.settings = settings
        self._client: Any = client

    def _boto(self) -> Any:
        if self._client is None:  # created on first use: importing boto3 costs start-up time
            import boto3

            settings = self.settings
            self._client = boto3.client(
                "cognito-idp",
                region_name=settings.aws_cognito_region,
                endpoint_url=settings.aws_cognito_endpoint_url,
            )
        return self._client

    async def _call(
        self,
        operation: str,
        arguments: dict[str, Any],
        overrides: dict[str, Callable[[], AppError]] | None = None,
    ) -> dict[str, Any]:
        client = self._boto()
        try:
            result: dict[str, Any] = await asyncio.to_thread(getattr(client, operation), **arguments)
        except Exception as exc:
            code = error_code(exc)
            if overrides and code in overrides:
                raise overrides[code]() from None
            if code in _ERRORS:
                raise _ERRORS[code]() from None
            log.error(
                "cognito call failed", operation=operation, error_code=code, error_type=type(exc).__name__
            )
            raise IdentityProviderError("The identity provider is unavailable, please try again") from None
        return result

    def _client_fields(self, username: str) -> dict[str, str]:
        settings = self.settings
        client_id = settings.aws_cognito_user_pool_client_id
        secret = settings.aws_cognito_user_pool_secret_key.get_secret_value()
        return {"ClientId": client_id, "SecretHash": secret_hash(username, client_id, secret)}

    async def sign_up(self, email: str, password: str) -> str:
        result = await self._call(
            "sign_up",
            {
                **self._client_fields(email),
                "Username": email,
                "Password": password,
                "UserAttributes": [{"Name": "email", "Value": email}],
            },
        )
        return str(result["UserSub"])

    async def confirm_sign_up(self, email: str, code: str) -> None:
        await self._call(
            "confirm_sign_up", {**self._client_fields(email), "Username": email, "ConfirmationCode": code}
        )

    async def resend_confirmation_code(self, email: str) -> None:
        await self._call("resend_confirmation_code", {**self._client_fields(email), "Username": email})

    async def login(self, email: str, password: str) -> Tokens:
        fields = self._client_fields(email)
        parameters = {"USERNAME": email, "PASSWORD": password, "SECRET_HASH": fields["SecretHash"]}
        result = await self._call(
            "initiate_auth",
            {"ClientId": fields["ClientId"], "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": parameters},
        )
        auth = result.get("AuthenticationResult")
        if not auth:  # a challenge (e.g. NEW_PASSWORD_REQUIRED) this API does not implement
            raise UnauthorizedError("Additional sign-in steps are required for this account")
        return Tokens(auth["AccessToken"], auth["RefreshToken"], int(auth["ExpiresIn"]))

    async def refresh(self, username: str, refresh_token: str) -> Tokens:
        fields = self._client_fields(username)
        try:
            parameters = {"REFRESH_TOKEN": refresh_token, "SECRET_HASH": fields["SecretHash"]}
            result = await self._call(
                "initiate_auth",
                {
                    "ClientId": fields["ClientId"],
                    "AuthFlow": "REFRESH_TOKEN_AUTH",
                    "AuthParameters": parameters,
                },
            )
        except InvalidRequestError:
            raise UnauthorizedError("Invalid or expired session") from None
        auth = result["AuthenticationResult"]
        return Tokens(auth["AccessToken"], auth.get("RefreshToken") or refresh_token, int(auth["ExpiresIn"]))

    async def global_sign_out(self, access_token: str) -> None:
        await self._call("global_sign_out", {"AccessToken": access_token})

    async def forgot_password(self, email: str) -> None:
        await self._call("forgot_password", {**self._client_fields(email), "Username": email})

    async def confirm_forgot_password(self, email: str, code: str, password: str) -> None:
        await self._call(
            "confirm_forgot_password",
            {**self._client_fields(email), "Username": email, "ConfirmationCode": code, "Password": password},
            # The emulator reports an unknown user here as ResourceNotFoundException.
            overrides={"ResourceNotFoundException": lambda: InvalidRequestError("Invalid or expired code")},
        )
