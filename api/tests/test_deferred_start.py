"""``macro-ai serve`` answers readiness before the feature routes are loaded. A request for one of them
that arrives while they load waits and is served, never a 404, and never before the revocation list
is in (macro_ai.feature_loader)."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_support import API_KEY, bearer, service_environment, settings_for, signed_in
from fastapi import FastAPI
from macro_ai import feature_loader
from macro_ai.auth.revocation import PostgresRevocationStore
from macro_ai.main import create_app
from macro_ai.web.route_index import RouteIndex
from macro_ai_devstack.testing import ServerProcess

KEY = {"X-API-KEY": API_KEY}
# What the serve path must not import before it is ready: the ORM, token verification and the cookie
# cipher, and the clients that are created on first use.
DEFERRED = ("sqlalchemy", "jwt", "cryptography", "boto3", "openai", "alembic", "macro_ai.features")

SERVE_PATH_MODULES = """
import sys
from macro_ai.config import load_settings
import macro_ai.cli, macro_ai.server
from macro_ai.main import create_app
create_app(load_settings(), defer_features=True)
print(" ".join(sys.modules))
"""


def test_the_serve_path_imports_none_of_the_feature_modules(migrated_database: str) -> None:
    environment = service_environment(migrated_database)
    imported = subprocess.run(
        [sys.executable, "-c", SERVE_PATH_MODULES],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    early = sorted(name for name in imported if name.split(".")[0] in DEFERRED or name in DEFERRED)
    assert early == []
    assert "macro_ai.health.router" in imported  # and it did build the app


@contextlib.asynccontextmanager
async def _serving(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app in process with its lifespan running (the features load in it), and a client."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=KEY
        ) as client:
            yield client


@pytest.fixture
def held_load(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """The features' load, held in its worker thread until the test sets the event."""
    release = threading.Event()
    real: Callable[..., Any] = feature_loader._prepare

    def held(core: Any) -> Any:
        assert release.wait(timeout=30)
        return real(core)

    monkeypatch.setattr(feature_loader, "_prepare", held)
    return release


def _details(readiness: httpx.Response) -> dict[str, str]:
    """Each readiness check's detail, by the check's name."""
    return {check["name"]: check["detail"] for check in readiness.json()["checks"]}


async def _ready(client: httpx.AsyncClient) -> tuple[int, dict[str, str]]:
    answer = await client.get("/api/health/ready")
    return answer.status_code, _details(answer)


async def test_a_request_that_arrives_while_the_features_load_waits_and_is_served(
    migrated_database: str, held_load: threading.Event
) -> None:
    app = create_app(settings_for(service_environment(migrated_database)), defer_features=True)
    async with _serving(app) as client:
        status, checks = await _ready(client)
        assert (status, checks["features"], checks["database"]) == (200, "loading", "reachable")
        assert (await client.get("/api/system-info")).status_code == 200  # a core route: no wait

        waiting = asyncio.create_task(client.get("/api/users/me"))
        await asyncio.sleep(0.2)
        assert not waiting.done()  # held at the gate, not answered 404

        held_load.set()
        answer = await asyncio.wait_for(waiting, timeout=30)
        assert (answer.status_code, answer.json()["message"]) == (401, "Authentication required")
        assert (await _ready(client))[1]["features"] == "loaded"
        # The gate is gone once the features are in: the router's own index serves from now on.
        assert isinstance(app.router.middleware_stack, RouteIndex)
        document = (await client.get("/api/openapi.json")).json()
        assert {"/api/chats", "/api/users/me", "/api/system-info", "/api/health/ready"} <= set(
            document["paths"]
        )


async def test_features_that_fail_to_load_fail_readiness_and_their_requests(
    migrated_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_: Any) -> Any:
        raise ImportError("a module the features need is missing")

    monkeypatch.setattr(feature_loader, "_prepare", broken)
    app = create_app(settings_for(service_environment(migrated_database)), defer_features=True)
    async with _serving(app) as client:
        with pytest.raises(feature_loader.FeaturesUnavailableError):
            await asyncio.wait_for(app.state.core.features.wait(), timeout=30)  # the load has failed
        answer = await client.get("/api/health/ready")
        assert answer.status_code == 503
        assert {"name": "features", "status": "fail"}.items() <= answer.json()["checks"][1].items()
        refused = await client.get("/api/users/me")
        assert (refused.status_code, refused.json()["type"]) == (503, "ServiceUnavailable")
        assert (await client.get("/api/health/live")).status_code == 200


async def test_a_new_task_refuses_a_token_revoked_elsewhere_from_its_first_request(
    auth_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The feature routes go in only once the revocation list is loaded: here the new task's store
    answers only when the test says so, and the request waits for it instead of slipping through."""
    environment = {**auth_env, "READINESS_TIMEOUT_SECONDS": "10"}  # the first reload's bound
    elsewhere = create_app(settings_for(environment))
    transport = httpx.ASGITransport(app=elsewhere)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=KEY) as one:
        user = await signed_in(one)
        assert (await one.post("/api/auth/logout", headers=bearer(user))).status_code == 200
    await elsewhere.state.services.close()

    release = asyncio.Event()
    active = PostgresRevocationStore.active

    async def held(store: PostgresRevocationStore, now: int) -> set[str]:
        await release.wait()
        return await active(store, now)

    monkeypatch.setattr(PostgresRevocationStore, "active", held)
    app = create_app(settings_for(environment), defer_features=True)
    async with _serving(app) as client:
        asking = asyncio.create_task(client.get("/api/chats", headers=bearer(user)))
        await asyncio.sleep(0.5)
        assert not asking.done()  # not answered from an empty list
        release.set()
        refused = await asyncio.wait_for(asking, timeout=30)
        assert (refused.status_code, refused.json()["message"]) == (401, "Session ended; please log in again")


def test_the_server_serves_feature_routes_from_its_first_ready_answer(
    migrated_database: str, tmp_path: Path
) -> None:
    """The real ``macro-ai serve``: readiness is polled every 2 ms, and at its first 200 (the features
    still loading) requests for feature routes go out at once. Each gets its route's own answer."""
    server = ServerProcess(service_environment(migrated_database), tmp_path / "server.log")
    server.start(wait_path="/api/health/live")
    try:
        with httpx.Client(base_url=server.url, headers=KEY, timeout=30) as client:
            deadline = time.monotonic() + 30
            while (ready := client.get("/api/health/ready")).status_code != 200:
                assert time.monotonic() < deadline, server.output()
                time.sleep(0.002)
            answers = [
                client.get("/api/users/me").status_code,
                client.post("/api/auth/login", json={}).status_code,
                client.get("/api/chats").status_code,
            ]
        assert _details(ready)["features"] == "loading"
        assert answers == [401, 422, 401]
    finally:
        server.stop()
