"""How long an access token works: not a second past its expiry (unless a leeway is configured), and
not after logout, on any instance: two server processes share the revocation list through
PostgreSQL, or through Redis when REDIS_URL is set."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from api_support import API_KEY, bearer, forge_token, settings_for, signed_in
from macro_ai.auth.revocation import REFRESH_SECONDS, PostgresRevocationStore
from macro_ai.config.database_login import DatabaseUrl
from macro_ai.db.engine import Sessions, create_engine
from macro_ai.db.read_pool import ReadPool
from macro_ai.main import create_app
from macro_ai_devstack.testing import ServerProcess

LOGOUT_REACH_SECONDS = 5  # SPEC: every instance refuses the session's tokens within 5 s


def expired_copy(session: dict[str, Any], seconds_ago: int) -> dict[str, str]:
    """The session's own access token, re-signed with the emulator's key, expired ``seconds_ago``."""
    claims = jwt.decode(session["tokens"]["accessToken"], options={"verify_signature": False})
    now = int(time.time())
    return {"Authorization": "Bearer " + forge_token({**claims, "exp": now - seconds_ago})}


@pytest.fixture
async def leeway_client(auth_env: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings_for({**auth_env, "TOKEN_CLOCK_LEEWAY_SECONDS": "5"}))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers={"X-API-KEY": API_KEY}
    ) as client:
        yield client
    await app.state.services.close()


async def test_a_token_expired_one_second_ago_cannot_delete_a_chat(auth_client: httpx.AsyncClient) -> None:
    user = await signed_in(auth_client)
    chat = (await auth_client.post("/api/chats", json={"title": "keep"}, headers=bearer(user))).json()["data"]

    refused = await auth_client.delete(f"/api/chats/{chat['id']}", headers=expired_copy(user, 1))
    assert (refused.status_code, refused.json()["message"]) == (401, "Access token expired")
    assert (await auth_client.get(f"/api/chats/{chat['id']}", headers=bearer(user))).status_code == 200


async def test_a_configured_leeway_is_honoured_and_no_more(leeway_client: httpx.AsyncClient) -> None:
    user = await signed_in(leeway_client)
    assert (await leeway_client.get("/api/chats", headers=expired_copy(user, 1))).status_code == 200
    assert (await leeway_client.get("/api/chats", headers=expired_copy(user, 7))).status_code == 401


@pytest.mark.parametrize("store", ["postgres", "redis"])
async def test_logout_ends_the_session_on_another_instance_within_five_seconds(
    store: str, auth_env: dict[str, str], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    environment = dict(auth_env)
    if store == "redis":
        environment["REDIS_URL"] = request.getfixturevalue("redis_url")
    first = ServerProcess(environment, tmp_path / "first.log").start()
    second = ServerProcess(environment, tmp_path / "second.log").start()
    try:
        async with (
            httpx.AsyncClient(base_url=first.url, headers={"X-API-KEY": API_KEY}, timeout=10) as one,
            httpx.AsyncClient(base_url=second.url, headers={"X-API-KEY": API_KEY}, timeout=10) as two,
        ):
            user = await signed_in(one)
            other_session = await one.post(
                "/api/auth/login", json={"email": user["email"], "password": user["password"]}
            )
            assert (await two.get("/api/chats", headers=bearer(user))).status_code == 200

            assert (await one.post("/api/auth/logout", headers=bearer(user))).status_code == 200
            logged_out = time.monotonic()
            assert (await one.get("/api/chats", headers=bearer(user))).status_code == 401  # at once here
            while (await two.get("/api/chats", headers=bearer(user))).status_code == 200:
                assert time.monotonic() - logged_out < LOGOUT_REACH_SECONDS, "still accepted on the other"
                await asyncio.sleep(0.1)
            refused = await two.get("/api/chats", headers=bearer(user))
            assert (refused.status_code, refused.json()["message"]) == (
                401,
                "Session ended; please log in again",
            )
            # Only that sign-in ended: the same user's other session still works everywhere.
            await asyncio.sleep(REFRESH_SECONDS + 0.5)
            assert (await two.get("/api/chats", headers=bearer(other_session.json()))).status_code == 200
    finally:
        first.stop()
        second.stop()


async def test_revocations_expire_with_the_tokens_and_are_pruned(
    auth_env: dict[str, str], migrated_database: str
) -> None:
    settings = settings_for(auth_env)
    engine = create_engine(settings, DatabaseUrl(settings))
    reads = ReadPool(settings, DatabaseUrl(settings))
    store = PostgresRevocationStore(Sessions(engine), reads)
    now = int(time.time())
    live, gone = f"live-{uuid.uuid4()}", f"gone-{uuid.uuid4()}"
    try:
        await store.add(live, now + 60)
        await store.add(gone, now - 1)
        active = await store.active(now)
        assert live in active
        assert gone not in active
        async with engine.connect() as connection:
            from sqlalchemy import text

            rows = await connection.execute(
                text("SELECT session_id FROM revoked_sessions WHERE session_id = :id"), {"id": gone}
            )
            assert rows.first() is None, "an expired entry must be deleted, not just skipped"
    finally:
        await reads.close()
        await engine.dispose()
