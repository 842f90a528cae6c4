"""Real responses against the existing web client's schemas.

The client is RussOakham/macro-ai; its schemas are generated zod in
``packages/macro-ai-api-client/src/client/zod.gen.ts``. They are written here as pydantic models,
field by field: the same names, types and nullability. ``z.object`` ignores unknown keys, so these do
too (``extra="ignore"``); types are strict (a zod string refuses a number, and so do these). Our own
error shape, which the client only partly declares, is checked strictly (``extra="forbid"``).

The API runs as a real server process on a socket, with real PostgreSQL and the Cognito emulator.
"""

# ruff: noqa: N815 - the field names are the client's own (camelCase), written as it declares them

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from api_support import API_KEY, TEST_PASSWORD, bearer
from macro_ai_devstack.testing import ServerProcess
from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class ZodObject(BaseModel):
    """``z.object({...})``: unknown keys are stripped, not refused; types are not coerced."""

    model_config = ConfigDict(extra="ignore", strict=True)


ZUuid = uuid.UUID  # z.uuid(): a UUID string (strict JSON validation takes only a string)
Max255 = Annotated[str, StringConstraints(max_length=255)]
Max20 = Annotated[str, StringConstraints(max_length=20)]
Number = float  # z.number(): any JSON number (pydantic's strict float takes integers too)


# --- zPostAuthLoginResponse, zPostAuthRefreshResponse
class Tokens(ZodObject):
    accessToken: str
    refreshToken: str
    expiresIn: Number


class TokensResponse(ZodObject):
    message: str
    tokens: Tokens


# --- zGetAuthUserResponse2
class AuthUserResponse(ZodObject):
    id: str
    email: str
    emailVerified: bool


# --- zGetUsersMeResponse
class UserProfile(ZodObject):
    id: ZUuid
    email: Max255
    emailVerified: bool | None
    firstName: Max255 | None
    lastName: Max255 | None
    createdAt: str | None
    updatedAt: str | None
    lastLogin: str | None


class UsersMeResponse(ZodObject):
    user: UserProfile


# --- zGetChatsResponse
class ChatSummary(ZodObject):
    id: ZUuid
    userId: ZUuid
    title: Max255
    createdAt: str | None
    updatedAt: str | None


class PageMeta(ZodObject):
    page: Number
    limit: Number
    total: Number


class ChatListResponse(ZodObject):
    success: bool
    data: list[ChatSummary]
    meta: PageMeta


# --- zGetChatsByIdResponse
class ChatMessage(ZodObject):
    id: ZUuid
    chatId: ZUuid
    role: Max20
    content: str
    metadata: Any  # a union that ends in z.unknown(): anything, but the key must be there
    embedding: list[Number] | None
    createdAt: str | None


class ChatWithMessages(ZodObject):
    id: ZUuid
    userId: ZUuid
    title: str
    createdAt: str
    updatedAt: str
    messages: list[ChatMessage]


class ChatWithMessagesResponse(ZodObject):
    success: bool
    data: ChatWithMessages


# --- errors: zErrorResponse (message, details as a record) and zRateLimitError (status, message)
class ClientError(ZodObject):
    message: str
    details: dict[str, Any] | None = None


class ClientRateLimitError(ZodObject):
    status: Number
    message: str


# --- our one error shape, {message, type, status, details?}, exactly
class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    path: str
    message: str


class ErrorShape(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    message: str
    type: str
    status: int
    details: list[ErrorDetail] | None = Field(default=None)


@pytest.fixture
def api(auth_env: dict[str, str], tmp_path: Path) -> Iterator[ServerProcess]:
    environment = {**auth_env, "API_RATE_LIMIT_MAX_REQUESTS": "40"}
    server = ServerProcess(environment, tmp_path / "api.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def client(api: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=api.url, headers={"X-API-KEY": API_KEY}, timeout=20) as client:
        yield client


def cookie_header(response: httpx.Response) -> str:
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        jar.load(header)
    return "; ".join(f"{name}={morsel.value}" for name, morsel in jar.items())


async def test_signed_in_responses_match_the_client_schemas(client: httpx.AsyncClient) -> None:
    email = f"contract-{uuid.uuid4().hex[:8]}@example.com"
    body = {"email": email, "password": TEST_PASSWORD, "confirmPassword": TEST_PASSWORD}
    assert (await client.post("/api/auth/register", json=body)).status_code == 201
    # zConfirmRegistration declares the code as z.number(): that is what the client sends.
    confirmed = await client.post("/api/auth/confirm-registration", json={"email": email, "code": 12345})
    assert confirmed.status_code == 200, confirmed.text

    login = await client.post("/api/auth/login", json={"email": email, "password": TEST_PASSWORD})
    assert login.status_code == 200, login.text
    session = TokensResponse.model_validate_json(login.content)
    auth = bearer({"tokens": {"accessToken": session.tokens.accessToken}})

    refreshed = await client.post("/api/auth/refresh", headers={"Cookie": cookie_header(login)})
    assert refreshed.status_code == 200, refreshed.text
    TokensResponse.model_validate_json(refreshed.content)

    AuthUserResponse.model_validate_json((await client.get("/api/auth/user", headers=auth)).content)
    UsersMeResponse.model_validate_json((await client.get("/api/users/me", headers=auth)).content)

    chat = (await client.post("/api/chats", json={"title": "Contract"}, headers=auth)).json()["data"]
    reply = await client.post(
        f"/api/chats/{chat['id']}/stream",
        json={"messages": [{"role": "user", "content": "hello"}]},
        headers=auth,
    )
    assert reply.status_code == 200
    listing = ChatListResponse.model_validate_json((await client.get("/api/chats", headers=auth)).content)
    assert [str(c.id) for c in listing.data] == [chat["id"]]

    detail = await client.get(f"/api/chats/{chat['id']}", headers=auth)
    page = ChatWithMessagesResponse.model_validate_json(detail.content)
    assert [m.role for m in page.data.messages] == ["user", "assistant"]
    assert all(m.embedding is None for m in page.data.messages)


async def test_errors_have_one_shape_with_the_status(client: httpx.AsyncClient) -> None:
    unknown_chat = f"/api/chats/{uuid.uuid4()}"
    answers = {
        401: await client.get("/api/chats"),
        404: await client.get("/api/no-such-route"),
        405: await client.patch("/api/chats"),
        422: await client.post("/api/auth/login", json={"email": "not-an-email"}),
    }
    for status, response in answers.items():
        assert response.status_code == status, (status, response.text)
        error = ErrorShape.model_validate_json(response.content)
        assert error.status == status
        if status != 422:  # the client declares `details` as a record; ours (a list) is only on 422
            ClientError.model_validate_json(response.content)
    assert ErrorShape.model_validate_json(answers[422].content).details

    for _ in range(50):  # the API bucket holds 40 requests here
        over = await client.get(unknown_chat)
        if over.status_code == 429:
            break
    assert over.status_code == 429
    ClientRateLimitError.model_validate_json(over.content)
    assert ErrorShape.model_validate_json(over.content).status == 429
