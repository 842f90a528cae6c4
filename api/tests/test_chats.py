"""Chats over HTTP (in process, real PostgreSQL, the emulator's tokens) and the authorization matrix."""

from __future__ import annotations

import time
import uuid
from typing import Any

import asyncpg
import httpx
import jwt
import pytest
from api_support import API_KEY, bearer, forge_token, signed_in
from cryptography.hazmat.primitives.asymmetric import rsa
from macro_ai.chats.schemas import ChatPage


async def create_chat(
    client: httpx.AsyncClient, session: dict[str, Any], title: str = "Hello"
) -> dict[str, Any]:
    response = await client.post("/api/chats", json={"title": title}, headers=bearer(session))
    assert response.status_code == 201, response.text
    chat: dict[str, Any] = response.json()["data"]
    return chat


async def test_chat_lifecycle(auth_client: httpx.AsyncClient) -> None:
    user = await signed_in(auth_client)
    auth = bearer(user)
    first = await create_chat(auth_client, user, "  First  ")
    assert first["title"] == "First"
    second = await create_chat(auth_client, user, "Second")

    listing = (await auth_client.get("/api/chats", headers=auth)).json()
    assert listing["success"] is True
    assert [c["id"] for c in listing["data"]] == [second["id"], first["id"]]  # newest updatedAt first
    assert listing["meta"] == {"page": 1, "limit": 20, "total": 2}

    renamed = await auth_client.put(f"/api/chats/{first['id']}", json={"title": "Renamed"}, headers=auth)
    assert renamed.json()["data"]["title"] == "Renamed"
    assert renamed.json()["data"]["updatedAt"] > first["updatedAt"]
    listing = (await auth_client.get("/api/chats", headers=auth)).json()
    assert [c["id"] for c in listing["data"]] == [first["id"], second["id"]]  # the rename touched it

    reply = await auth_client.post(
        f"/api/chats/{first['id']}/stream",
        json={"messages": [{"role": "user", "content": "hello there"}]},
        headers=auth,
    )
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "text/plain; charset=utf-8"
    assert reply.text.startswith("[offline provider: no model was called]")
    detail = (await auth_client.get(f"/api/chats/{first['id']}", headers=auth)).json()["data"]
    assert [(m["role"], m["content"]) for m in detail["messages"]] == [
        ("user", "hello there"),
        ("assistant", reply.text),
    ]
    assert detail["messages"][1]["metadata"] == {"provider": "offline", "model": "offline-echo"}

    deleted = await auth_client.delete(f"/api/chats/{first['id']}", headers=auth)
    assert deleted.json() == {"success": True, "message": "Chat deleted"}
    assert (await auth_client.get(f"/api/chats/{first['id']}", headers=auth)).status_code == 404
    assert (await auth_client.delete(f"/api/chats/{first['id']}", headers=auth)).status_code == 404


async def test_messages_are_deleted_with_their_chat(
    auth_client: httpx.AsyncClient, migrated_database: str
) -> None:
    user = await signed_in(auth_client)
    chat = await create_chat(auth_client, user)
    await auth_client.post(
        f"/api/chats/{chat['id']}/stream",
        json={"messages": [{"role": "user", "content": "x"}]},
        headers=bearer(user),
    )
    connection = await asyncpg.connect(migrated_database)
    try:
        count = "SELECT count(*) FROM chat_messages WHERE chat_id = $1"
        assert await connection.fetchval(count, uuid.UUID(chat["id"])) == 2
        await auth_client.delete(f"/api/chats/{chat['id']}", headers=bearer(user))
        assert await connection.fetchval(count, uuid.UUID(chat["id"])) == 0
    finally:
        await connection.close()


async def test_pagination(auth_client: httpx.AsyncClient) -> None:
    user = await signed_in(auth_client)
    ids = [(await create_chat(auth_client, user, f"chat {i}"))["id"] for i in range(5)]
    page2 = (await auth_client.get("/api/chats?page=2&limit=2", headers=bearer(user))).json()
    assert [c["id"] for c in page2["data"]] == [ids[2], ids[1]]
    assert page2["meta"] == {"page": 2, "limit": 2, "total": 5}
    beyond = (await auth_client.get("/api/chats?page=9&limit=2", headers=bearer(user))).json()
    assert beyond["data"] == []
    assert beyond["meta"]["total"] == 5
    # The listing writes its JSON by hand (for speed): it must be exactly the documented ChatPage,
    # the one a chat's own endpoint returns for each chat.
    for body in (page2, beyond):
        assert ChatPage.model_validate(body).model_dump(mode="json", by_alias=True) == body
    one = (await auth_client.get(f"/api/chats/{ids[2]}", headers=bearer(user))).json()["data"]
    assert page2["data"][0] == {key: one[key] for key in page2["data"][0]}
    for query in ("limit=0", "limit=101", "page=0", "limit=abc"):
        refused = await auth_client.get(f"/api/chats?{query}", headers=bearer(user))
        assert refused.status_code == 422
        assert [detail["path"] for detail in refused.json()["details"]] == [f"query.{query.split('=')[0]}"]
        assert (await auth_client.get(f"/api/chats?{query}")).status_code == 401  # the user comes first


@pytest.mark.parametrize("title", ["", "   ", "x" * 256, "nul\x00byte"])
async def test_title_validation(auth_client: httpx.AsyncClient, title: str) -> None:
    user = await signed_in(auth_client)
    response = await auth_client.post("/api/chats", json={"title": title}, headers=bearer(user))
    assert response.status_code == 422


async def test_malformed_ids_are_validation_errors(auth_client: httpx.AsyncClient) -> None:
    user = await signed_in(auth_client)
    for method, path in [
        ("GET", "/api/chats/123"),
        ("PUT", "/api/chats/not-a-uuid"),
        ("DELETE", "/api/chats/1;drop"),
        ("POST", "/api/chats/xyz/stream"),
    ]:
        response = await auth_client.request(
            method,
            path,
            json={"title": "t", "messages": [{"role": "user", "content": "hi"}]},
            headers=bearer(user),
        )
        assert response.status_code == 422, (method, path)
        assert response.json()["type"] == "ValidationError"


class TestStreamRequestShapes:
    async def test_ui_message_shape_with_extra_parts_and_fields(self, auth_client: httpx.AsyncClient) -> None:
        user = await signed_in(auth_client)
        chat = await create_chat(auth_client, user)
        body = {
            "id": "chat-client-id",
            "trigger": "submit-message",
            "messages": [
                {"id": "m1", "role": "user", "parts": [{"type": "text", "text": "earlier"}]},
                {
                    "id": "m2",
                    "role": "assistant",
                    "parts": [{"type": "step-start"}, {"type": "text", "text": "ok", "state": "done"}],
                },
                {
                    "id": "m3",
                    "role": "user",
                    "parts": [
                        {"type": "step-start"},
                        {"type": "text", "text": "Hello "},
                        {"type": "text", "text": "world", "state": "done"},
                    ],
                    "metadata": {"x": 1},
                },
            ],
        }
        reply = await auth_client.post(f"/api/chats/{chat['id']}/stream", json=body, headers=bearer(user))
        assert reply.status_code == 200
        assert reply.text.endswith("You said: Hello world")

    @pytest.mark.parametrize(
        "messages",
        [
            [],
            [{"role": "assistant", "content": "I speak last"}],
            [{"role": "user", "content": "   "}],
            [{"role": "user", "parts": [{"type": "step-start"}]}],
            [{"role": "robot", "content": "beep"}],
            [{"role": "user"}],
            [{"role": "user", "content": "x" * 32_001}],
            [{"role": "user", "content": "nul\x00byte"}],
            [{"role": "user", "parts": [{"type": "text", "text": "nul\x00byte"}]}],
        ],
    )
    async def test_invalid_bodies_fail_before_the_stream_starts(
        self, auth_client: httpx.AsyncClient, messages: list[dict[str, Any]], migrated_database: str
    ) -> None:
        user = await signed_in(auth_client)
        chat = await create_chat(auth_client, user)
        response = await auth_client.post(
            f"/api/chats/{chat['id']}/stream", json={"messages": messages}, headers=bearer(user)
        )
        assert response.status_code == 422
        assert response.json()["type"] == "ValidationError"
        connection = await asyncpg.connect(migrated_database)
        try:
            assert (
                await connection.fetchval(
                    "SELECT count(*) FROM chat_messages WHERE chat_id = $1", uuid.UUID(chat["id"])
                )
                == 0
            )
        finally:
            await connection.close()


# --- the authorization matrix ------------------------------------------------------------------------

ROUTES = [
    ("GET", "/api/auth/user", None),
    ("POST", "/api/auth/logout", None),
    ("GET", "/api/users/me", None),
    ("GET", "/api/users/{user_id}", None),
    ("GET", "/api/chats", None),
    ("POST", "/api/chats", {"title": "mine now"}),
    ("GET", "/api/chats/{chat_id}", None),
    ("PUT", "/api/chats/{chat_id}", {"title": "mine now"}),
    ("DELETE", "/api/chats/{chat_id}", None),
    ("POST", "/api/chats/{chat_id}/stream", {"messages": [{"role": "user", "content": "steal"}]}),
]


def bad_credentials(pool_env: dict[str, str], victim: dict[str, Any]) -> dict[str, dict[str, str]]:
    access = jwt.decode(victim["tokens"]["accessToken"], options={"verify_signature": False})
    now = int(time.time())
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return {
        "none": {},
        "garbage": {"Authorization": "Bearer not-a-jwt"},
        "garbage cookie": {"Cookie": "macro-ai-accessToken=garbage"},
        "expired": {
            "Authorization": "Bearer " + forge_token({**access, "iat": now - 7200, "exp": now - 3600})
        },
        "wrong signature": {"Authorization": "Bearer " + forge_token(access, key=other_key)},
        "unknown key id": {"Authorization": "Bearer " + forge_token(access, kid="rotated-away")},
        "other client id": {
            "Authorization": "Bearer " + forge_token({**access, "client_id": "someone-elses-app"})
        },
        "other issuer": {
            "Authorization": "Bearer " + forge_token({**access, "iss": "https://evil.example/pool"})
        },
        "id token": {
            "Authorization": "Bearer "
            + forge_token({**access, "token_use": "id", "aud": pool_env["AWS_COGNITO_USER_POOL_CLIENT_ID"]})
        },
        "no expiry": {
            "Authorization": "Bearer " + forge_token({k: v for k, v in access.items() if k != "exp"})
        },
    }


async def test_authorization_matrix(
    auth_client: httpx.AsyncClient, auth_env: dict[str, str], migrated_database: str
) -> None:
    victim = await signed_in(auth_client)
    attacker = await signed_in(auth_client)
    chat = await create_chat(auth_client, victim, "victim's secrets")
    await auth_client.post(
        f"/api/chats/{chat['id']}/stream",
        json={"messages": [{"role": "user", "content": "private"}]},
        headers=bearer(victim),
    )
    victim_id = (await auth_client.get("/api/users/me", headers=bearer(victim))).json()["user"]["id"]
    ids = {"chat_id": chat["id"], "user_id": victim_id}

    cells: dict[tuple[str, str], int] = {}
    for name, headers in bad_credentials(auth_env, victim).items():
        for method, template, body in ROUTES:
            response = await auth_client.request(method, template.format(**ids), json=body, headers=headers)
            cells[(name, f"{method} {template}")] = response.status_code
            assert response.json()["type"] == "Unauthorized"
    assert set(cells.values()) == {401}, {k: v for k, v in cells.items() if v != 401}

    # Another user's (valid) token: every route that names the victim's chat or id is a 404.
    for method, template, body in ROUTES:
        if "{" not in template:
            continue
        response = await auth_client.request(
            method, template.format(**ids), json=body, headers=bearer(attacker)
        )
        assert response.status_code == 404, (method, template)

    # And nothing of the victim's changed.
    connection = await asyncpg.connect(migrated_database)
    try:
        row = await connection.fetchrow("SELECT title FROM chats WHERE id = $1", uuid.UUID(chat["id"]))
        assert row is not None
        assert row["title"] == "victim's secrets"
        contents = await connection.fetch(
            "SELECT content FROM chat_messages WHERE chat_id = $1", uuid.UUID(chat["id"])
        )
        assert "steal" not in [r["content"] for r in contents]
        assert len(contents) == 2
    finally:
        await connection.close()


async def test_an_exhausted_pool_is_a_503_with_retry_after(auth_env: dict[str, str]) -> None:
    """Overload, not a bug: when no connection comes free within the pool timeout the answer is a
    documented 503 with Retry-After (it was a 500 after 5 s), from either pool."""
    from api_support import settings_for
    from macro_ai.main import create_app

    app = create_app(
        settings_for({**auth_env, "DATABASE_POOL_SIZE": "1", "DATABASE_POOL_TIMEOUT_SECONDS": "0.2"})
    )
    services = app.state.services
    transport = httpx.ASGITransport(app=app)
    busy_body = {"message": "The service is busy; please retry", "type": "ServiceUnavailable", "status": 503}
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        client.headers["X-API-KEY"] = API_KEY
        user = await signed_in(client)
        async with services.read_pool.connection():  # the read pool's only connection, taken
            busy = await client.get("/api/chats", headers=bearer(user))
        async with services.engine.connect() as held:  # the engine pool's only connection, taken
            await held.get_raw_connection()
            busy_too = await client.get("/api/users/me", headers=bearer(user))
        for answer in (busy, busy_too):
            assert (answer.status_code, answer.headers["retry-after"], answer.json()) == (503, "1", busy_body)
        assert (await client.get("/api/chats", headers=bearer(user))).status_code == 200
        assert (await client.get("/api/users/me", headers=bearer(user))).status_code == 200
        document = (await client.get("/api/openapi.json")).json()
        for path in ("/api/chats", "/api/users/me"):
            assert "503" in document["paths"][path]["get"]["responses"]
    await services.close()
