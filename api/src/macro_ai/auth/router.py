from typing import Annotated

from fastapi import APIRouter, Cookie, Request, Response

from macro_ai.auth.cognito import CognitoClient
from macro_ai.auth.cookies import REFRESH_COOKIE, SYNCHRONIZE_COOKIE, clear_auth_cookies, set_auth_cookies
from macro_ai.auth.dependencies import PrincipalDep
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
from macro_ai.auth.service import AuthService, Session
from macro_ai.config.settings import Settings
from macro_ai.db.session import SessionDep
from macro_ai.errors import ErrorBody
from macro_ai.users.repository import UserRepository

router = APIRouter(
    prefix="/auth", tags=["auth"], responses={400: {"model": ErrorBody}, 502: {"model": ErrorBody}}
)


def _service(request: Request, session: SessionDep) -> AuthService:
    cognito: CognitoClient = request.app.state.cognito
    return AuthService(cognito, request.app.state.tokens, UserRepository(session))


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.live.current
    return settings


def _issue(response: Response, request: Request, session: Session, message: str) -> TokensResponse:
    tokens = session.tokens
    set_auth_cookies(
        response,
        _settings(request),
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
async def register(body: RegisterRequest, request: Request, session: SessionDep) -> RegisterResponse:
    user_id = await _service(request, session).register(body.email, body.password)
    return RegisterResponse(
        message="Registration successful; check your email for the confirmation code",
        user=RegisteredUser(id=user_id, email=body.email),
    )


@router.post("/confirm-registration", response_model=Message, summary="Confirm an account with its code")
async def confirm_registration(
    body: ConfirmRegistrationRequest, request: Request, session: SessionDep
) -> Message:
    await _service(request, session).confirm_registration(body.email, body.code)
    return Message(message="Account confirmed; you can log in now")


@router.post("/resend-confirmation-code", response_model=Message, summary="Send the confirmation code again")
async def resend(body: EmailRequest, request: Request, session: SessionDep) -> Message:
    await _service(request, session).resend_confirmation_code(body.email)
    return Message(message="If the account exists and is not confirmed, a new code has been sent")


@router.post(
    "/login",
    response_model=TokensResponse,
    responses={403: {"model": ErrorBody}},
    summary="Log in with email and password; sets the auth cookies",
)
async def login(
    body: LoginRequest, request: Request, response: Response, session: SessionDep
) -> TokensResponse:
    signed_in = await _service(request, session).login(body.email, body.password)
    return _issue(response, request, signed_in, "Login successful")


@router.post("/refresh", response_model=TokensResponse, summary="New tokens from the refresh cookies")
async def refresh(
    request: Request,
    response: Response,
    session: SessionDep,
    refresh_token: Annotated[str | None, Cookie(alias=REFRESH_COOKIE)] = None,
    synchronize: Annotated[str | None, Cookie(alias=SYNCHRONIZE_COOKIE)] = None,
) -> TokensResponse:
    key = _settings(request).cookie_encryption_key.get_secret_value()
    renewed = await _service(request, session).refresh(refresh_token, synchronize, key)
    return _issue(response, request, renewed, "Tokens refreshed")


@router.post("/logout", response_model=Message, summary="Sign out everywhere and clear the cookies")
async def logout(
    principal: PrincipalDep, request: Request, response: Response, session: SessionDep
) -> Message:
    await _service(request, session).logout(principal)
    clear_auth_cookies(response, _settings(request))
    return Message(message="Logged out")


@router.post("/forgot-password", response_model=Message, summary="Start a password reset")
async def forgot_password(body: EmailRequest, request: Request, session: SessionDep) -> Message:
    await _service(request, session).forgot_password(body.email)
    return Message(message="If an account exists for this email, a reset code has been sent")


@router.post(
    "/confirm-forgot-password", response_model=Message, summary="Set a new password with the reset code"
)
async def confirm_forgot_password(
    body: ConfirmForgotPasswordRequest, request: Request, session: SessionDep
) -> Message:
    await _service(request, session).confirm_forgot_password(body.email, body.code, body.new_password)
    return Message(message="Password changed; you can log in now")


@router.get("/user", response_model=AuthUser, summary="The signed-in user")
async def current_user(principal: PrincipalDep, request: Request, session: SessionDep) -> AuthUser:
    user_id, email, verified = await _service(request, session).current_user(principal)
    return AuthUser(id=user_id, email=email, email_verified=verified)
