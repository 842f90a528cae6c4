"""Annotated dependencies: what a handler may ask for, typed once.

Each reads the app's ``Services`` through ``services_of`` (one attribute lookup). They are async so
FastAPI runs them on the event loop rather than in its thread pool, and a service dependency opens
the request's database session itself, so a handler resolves no more dependencies than it used to.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request

from macro_ai.auth.cookies import ACCESS_COOKIE
from macro_ai.auth.service import AuthService
from macro_ai.auth.tokens import Principal
from macro_ai.chats.models import Chat
from macro_ai.chats.repository import ChatRepository
from macro_ai.chats.service import ChatService
from macro_ai.config.schema import Settings
from macro_ai.errors import UnauthorizedError
from macro_ai.services import Services
from macro_ai.users.repository import UserRepository
from macro_ai.users.service import UserService


def services_of(request: Request) -> Services:
    """The app's services (for the few plain handlers that need no other dependency)."""
    services: Services = request.app.state.services
    return services


async def _settings(request: Request) -> Settings:
    return services_of(request).settings


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (the scheme in any case)."""
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


async def principal(request: Request) -> Principal:
    """The access token from the bearer header (other clients) or the cookie (browsers).

    One plain dependency, not FastAPI's security classes: each dependency costs about 20 µs a
    request to solve in FastAPI 0.165, and this one runs on every signed-in request. The OpenAPI
    document still declares both schemes for every route that depends on it (macro_ai.openapi).
    """
    token = bearer_token(request.headers.get("authorization")) or request.cookies.get(ACCESS_COOKIE)
    if not token:
        raise UnauthorizedError("Authentication required")
    return await services_of(request).tokens.verify_access_token(token)


_AUTHENTICATING_HANDLERS: set[object] = set()
Handler = TypeVar("Handler", bound=Callable[..., Any])


def authenticates_itself(handler: Handler) -> Handler:
    """Marks a hot handler that awaits ``principal(request)`` itself rather than declaring it (a
    declared dependency is solved by FastAPI per request): the OpenAPI document still gives it the
    user schemes (macro_ai.openapi); test_chats checks the chat list answers 401 without them."""
    _AUTHENTICATING_HANDLERS.add(handler)
    return handler


def authenticates(handler: object) -> bool:
    return handler in _AUTHENTICATING_HANDLERS


async def _auth_service(request: Request) -> AsyncIterator[AuthService]:
    services = services_of(request)
    async with services.sessions() as session:
        yield AuthService(services.cognito, services.tokens, services.revocations, UserRepository(session))


async def _user_service(request: Request) -> AsyncIterator[UserService]:
    async with services_of(request).sessions() as session:
        yield UserService(UserRepository(session))


async def _chat_service(request: Request) -> AsyncIterator[ChatService]:
    services = services_of(request)
    async with services.sessions() as session:
        yield ChatService(ChatRepository(session), services.streamer)


SettingsDep = Annotated[Settings, Depends(_settings)]
CurrentPrincipal = Annotated[Principal, Depends(principal)]
AuthServiceDep = Annotated[AuthService, Depends(_auth_service)]
UserServiceDep = Annotated[UserService, Depends(_user_service)]
ChatServiceDep = Annotated[ChatService, Depends(_chat_service)]


async def _owned_chat(chat_id: uuid.UUID, principal: CurrentPrincipal, chats: ChatServiceDep) -> Chat:
    """The caller's chat ``chat_id``; 404 when it does not exist or belongs to someone else."""
    return await chats.get(principal.user_id, chat_id)


OwnedChatDep = Annotated[Chat, Depends(_owned_chat)]
