from typing import Annotated

from fastapi import APIRouter, Cookie, Response

from macro_ai.auth.cookies import REFRESH_COOKIE, SYNCHRONIZE_COOKIE, clear_auth_cookies, set_auth_cookies
from macro_ai.auth.schemas import (
    AuthUser,
    ConfirmForgotPasswordRequest,
    ConfirmRegistrationRequest,
    EmailRequest,
    LoginRequest,
    Message,
    RegisteredUser,
    RegisterRequest,
    RegisterResponse,
    TokenSet,
)
from macro_ai.auth.schemas import LoginResponse as TokensResponse
from macro_ai.auth.service import Session
from macro_ai.config.schema import Settings
from macro_ai.deps import AuthServiceDep, CurrentPrincipal, SettingsDep
from macro_ai.errors import DATABASE_BUSY, ErrorBody

router = APIRouter(
    prefix="/api/auth",
    tags=["auth"],
    responses={400: {"model": ErrorBody}, 502: {"model": ErrorBody}, **DATABASE_BUSY},
)


def _issue(response: Response, settings: Settings, session: Session, message: str) -> TokensResponse:
    tokens = session.tokens
    set_auth_cookies(
        response,
        settings,
        tokens.access_token,
        tokens.refresh_token,
        tokens.expires_in,
        session.principal.username,
    )
    return TokensResponse(
        message=message,
        tokens=TokenSet(
            access_token=tokens.access_token, refresh_token=tokens.refresh_token, expires_in=tokens.expires_in
        ),
    )


@router.post(
    "/register",
    status_code=201,
    response_model=RegisterResponse,
    responses={409: {"model": ErrorBody}},
    summary="Create an account (a confirmation code is sent by email)",
)
async def register(body: RegisterRequest, auth: AuthServiceDep) -> RegisterResponse:
    user_id = await auth.register(body.email, body.password)
    return RegisterResponse(
        message="Registration successful; check your email for the confirmation code",
        user=RegisteredUser(id=user_id, email=body.email),
    )


@router.post("/confirm-registration", response_model=Message, summary="Confirm an account with its code")
async def confirm_registration(body: ConfirmRegistrationRequest, auth: AuthServiceDep) -> Message:
    await auth.confirm_registration(body.email, body.code)
    return Message(message="Account confirmed; you can log in now")


@router.post("/resend-confirmation-code", response_model=Message, summary="Send the confirmation code again")
async def resend(body: EmailRequest, auth: AuthServiceDep) -> Message:
    await auth.resend_confirmation_code(body.email)
    return Message(message="If the account exists and is not confirmed, a new code has been sent")


@router.post(
    "/login",
    response_model=TokensResponse,
    responses={403: {"model": ErrorBody}},
    summary="Log in with email and password; sets the auth cookies",
)
async def login(
    body: LoginRequest, response: Response, auth: AuthServiceDep, settings: SettingsDep
) -> TokensResponse:
    signed_in = await auth.login(body.email, body.password)
    return _issue(response, settings, signed_in, "Login successful")


@router.post("/refresh", response_model=TokensResponse, summary="New tokens from the refresh cookies")
async def refresh(
    response: Response,
    auth: AuthServiceDep,
    settings: SettingsDep,
    refresh_token: Annotated[str | None, Cookie(alias=REFRESH_COOKIE)] = None,
    synchronize: Annotated[str | None, Cookie(alias=SYNCHRONIZE_COOKIE)] = None,
) -> TokensResponse:
    key = settings.cookie_encryption_key.get_secret_value()
    renewed = await auth.refresh(refresh_token, synchronize, key)
    return _issue(response, settings, renewed, "Tokens refreshed")


@router.post("/logout", response_model=Message, summary="Sign out everywhere and clear the cookies")
async def logout(
    principal: CurrentPrincipal, response: Response, auth: AuthServiceDep, settings: SettingsDep
) -> Message:
    await auth.logout(principal)
    clear_auth_cookies(response, settings)
    return Message(message="Logged out")


@router.post("/forgot-password", response_model=Message, summary="Start a password reset")
async def forgot_password(body: EmailRequest, auth: AuthServiceDep) -> Message:
    await auth.forgot_password(body.email)
    return Message(message="If an account exists for this email, a reset code has been sent")


@router.post(
    "/confirm-forgot-password", response_model=Message, summary="Set a new password with the reset code"
)
async def confirm_forgot_password(body: ConfirmForgotPasswordRequest, auth: AuthServiceDep) -> Message:
    await auth.confirm_forgot_password(body.email, body.code, body.new_password)
    return Message(message="Password changed; you can log in now")


@router.get("/user", response_model=AuthUser, summary="The signed-in user")
async def current_user(principal: CurrentPrincipal, auth: AuthServiceDep) -> AuthUser:
    user_id, email, verified = await auth.current_user(principal)
    return AuthUser(id=user_id, email=email, email_verified=verified)
