"""Streamed replies over real sockets: our server as a process, a fake OpenAI-compatible provider."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_support import API_KEY, bearer, signed_in
from fake_openai import FakeOpenAI, Script, fake_openai_server
from macro_ai_devstack.testing import ServerProcess


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    with fake_openai_server() as server:
        yield server


@pytest.fixture
def api(auth_env: dict[str, str], fake: FakeOpenAI, tmp_path: Path) -> Iterator[ServerProcess]:
    environment = {
        **auth_env,
        "AI_PROVIDER": "openai",
        "OPENAI_BASE_URL": fake.base_url,
        "OPENAI_API_KEY": "sk-fake-provider-key",
        "OPENAI_MODEL": "fake-model",
        "OPENAI_TIMEOUT_SECONDS": "10",
    }
    server = ServerProcess(environment, tmp_path / "api.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def client(api: ServerProcess) -> Any:
    async with httpx.AsyncClient(base_url=api.url, headers={"X-API-KEY": API_KEY}, timeout=20) as client:
        yield client


async def new_chat(client: httpx.AsyncClient) -> tuple[dict[str, Any], str]:
    user = await signed_in(client)
    chat = await client.post("/api/chats", json={"title": "streaming"}, headers=bearer(user))
    return user, chat.json()["data"]["id"]


async def messages(client: httpx.AsyncClient, user: dict[str, Any], chat_id: str) -> list[dict[str, Any]]:
    detail = await client.get(f"/api/chats/{chat_id}", headers=bearer(user))
    result: list[dict[str, Any]] = detail.json()["data"]["messages"]
    return result


BODY = {"messages": [{"role": "user", "content": "Tell me something"}]}


async def test_first_chunk_arrives_before_the_provider_finishes(
    client: httpx.AsyncClient, fake: FakeOpenAI
) -> None:
    gate = threading.Event()
    fake.reset(Script(chunks=["First", " second", " third"], gate_after_first=gate))
    user, chat_id = await new_chat(client)
    async with client.stream(
        "POST", f"/api/chats/{chat_id}/stream", json=BODY, headers=bearer(user)
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
        assert response.headers["x-accel-buffering"] == "no"
        chunks = response.aiter_text()
        first = await asyncio.wait_for(anext(chunks), timeout=10)
        assert first == "First"
        assert fake.sent == ["First"]  # the provider has not produced the rest yet
        assert not fake.finished.is_set()
        gate.set()
        rest = "".join([chunk async for chunk in chunks])
    assert first + rest == "First second third"
    stored = await messages(client, user, chat_id)
    assert [(m["role"], m["content"]) for m in stored] == [
        ("user", "Tell me something"),
        ("assistant", "First second third"),
    ]
    assert stored[1]["metadata"] == {"provider": "openai", "model": "fake-model"}
    assert fake.requests[-1]["messages"] == [{"role": "user", "content": "Tell me something"}]
    assert fake.requests[-1]["stream"] is True


async def test_provider_failure_mid_stream_stores_a_partial_reply(
    client: httpx.AsyncClient, fake: FakeOpenAI
) -> None:
    fake.reset(Script(chunks=["partial", " reply", " never", " sent"], fail_after=2))
    user, chat_id = await new_chat(client)
    received: list[str] = []

    async def read_all() -> None:
        async with client.stream(
            "POST", f"/api/chats/{chat_id}/stream", json=BODY, headers=bearer(user)
        ) as response:
            assert response.status_code == 200
            async for chunk in response.aiter_text():
                received.append(chunk)

    with pytest.raises(httpx.RemoteProtocolError):
        await read_all()
    assert "".join(received) == "partial reply"  # the client saw an incomplete body, not a clean end
    stored = await messages(client, user, chat_id)
    assert [m["role"] for m in stored] == ["user", "assistant"]
    assert stored[1]["content"] == "partial reply"
    assert stored[1]["metadata"] == {
        "provider": "openai",
        "model": "fake-model",
        "partial": True,
        "reason": "provider_error",
    }


async def test_client_disconnect_cancels_the_provider_and_keeps_what_was_produced(
    client: httpx.AsyncClient, fake: FakeOpenAI
) -> None:
    fake.reset(Script(chunks=[f"w{i} " for i in range(200)], delay=0.05))
    user, chat_id = await new_chat(client)
    received = []
    async with client.stream(
        "POST", f"/api/chats/{chat_id}/stream", json=BODY, headers=bearer(user)
    ) as response:
        async for chunk in response.aiter_text():
            received.append(chunk)
            if len("".join(received).split()) >= 3:
                break  # leaving the block closes the connection: the user went away
    deadline = time.monotonic() + 10
    while not fake.disconnected.is_set() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert fake.disconnected.is_set(), "the provider request was not cancelled"
    assert not fake.finished.is_set()
    assert len(fake.sent) < 100

    stored: list[dict[str, Any]] = []
    while time.monotonic() < deadline and len(stored) < 2:
        stored = await messages(client, user, chat_id)
        await asyncio.sleep(0.05)
    assert [m["role"] for m in stored] == ["user", "assistant"]
    assistant = stored[1]
    assert assistant["metadata"]["partial"] is True
    assert assistant["metadata"]["reason"] == "client_disconnected"
    assert assistant["content"].startswith("".join(received))
    assert assistant["content"] == "".join(fake.sent)[: len(assistant["content"])]


async def test_provider_error_before_the_first_chunk_is_a_502(
    client: httpx.AsyncClient, fake: FakeOpenAI
) -> None:
    fake.reset(Script(status=500))
    user, chat_id = await new_chat(client)
    response = await client.post(f"/api/chats/{chat_id}/stream", json=BODY, headers=bearer(user))
    assert response.status_code == 502
    assert response.json() == {
        "message": "The model provider failed; please try again",
        "type": "BadGateway",
        "status": 502,
    }
    stored = await messages(client, user, chat_id)
    assert [(m["role"], m["content"]) for m in stored] == [
        ("user", "Tell me something")
    ]  # nothing acknowledged is lost


async def test_a_foreign_chat_is_refused_before_the_provider_is_called(
    client: httpx.AsyncClient, fake: FakeOpenAI
) -> None:
    fake.reset(Script())
    owner, chat_id = await new_chat(client)
    intruder = await signed_in(client)
    before = len(fake.requests)
    response = await client.post(f"/api/chats/{chat_id}/stream", json=BODY, headers=bearer(intruder))
    assert response.status_code == 404
    assert len(fake.requests) == before
    assert await messages(client, owner, chat_id) == []
