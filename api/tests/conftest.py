"""Fixtures: a real PostgreSQL for the session, a fresh database per use, valid configuration."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from api_support import (
    API_KEY,
    GENEROUS_LIMITS,
    REDIS,
    postgres_folder,
    service_environment,
    settings_for,
    settings_from,
)
from fastapi import FastAPI
from macro_ai.main import create_app
from macro_ai_devstack.cognito import CognitoPool, create_pool, start_emulator
from macro_ai_devstack.postgres import LocalPostgres
from macro_ai_devstack.testing import free_port


@pytest.fixture(scope="session")
def postgres() -> Iterator[LocalPostgres]:
    server = LocalPostgres(postgres_folder(), free_port(), durable=False)
    server.start()
    yield server
    server.destroy()
    shutil.rmtree(server.data_dir.parent, ignore_errors=True)


async def _create_database(postgres: LocalPostgres) -> str:
    name = "t_" + uuid.uuid4().hex[:12]
    connection = await asyncpg.connect(postgres.admin_url)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return f"postgresql://postgres@127.0.0.1:{postgres.port}/{name}"


@pytest.fixture
async def empty_database(postgres: LocalPostgres) -> str:
    """A new, empty database on the shared server."""
    return await _create_database(postgres)


@pytest.fixture(scope="session")
async def migrated_database(postgres: LocalPostgres) -> str:
    """One database at the migration head, shared by the tests that only read the schema."""
    import asyncio

    from macro_ai.db import migrate

    url = await _create_database(postgres)
    await asyncio.to_thread(migrate.upgrade, url)
    return url


@pytest.fixture
def service_env(migrated_database: str) -> dict[str, str]:
    return service_environment(migrated_database)


@pytest.fixture
def make_app(monkeypatch: pytest.MonkeyPatch, migrated_database: str):  # type: ignore[no-untyped-def]
    def build(**overrides: str) -> FastAPI:
        return create_app(settings_from(service_environment(migrated_database, **overrides), monkeypatch))

    return build


@pytest.fixture
async def client(make_app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    app = make_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
    await app.state.services.close()


@pytest.fixture(scope="session")
def aws_emulator() -> Iterator[str]:
    """moto's server over HTTP on loopback: Parameter Store, Secrets Manager, Cognito."""
    server = start_emulator(free_port())
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_env(aws_emulator: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "AWS_ENDPOINT_URL": aws_emulator,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


@pytest.fixture
def tmp_log(tmp_path: Path) -> Path:
    return tmp_path / "server.log"


@pytest.fixture(scope="session")
def cognito_pool(aws_emulator: str) -> CognitoPool:
    """A user pool and app client (with secret) in the emulator, shared by the session."""
    return create_pool(aws_emulator)


@pytest.fixture
def auth_env(migrated_database: str, cognito_pool: CognitoPool, aws_env: dict[str, str]) -> dict[str, str]:
    """A full configuration against the emulator; AWS credentials are in this process's env too."""
    return service_environment(migrated_database, **cognito_pool.environment(), **aws_env, **GENEROUS_LIMITS)


@pytest.fixture
async def auth_client(auth_env: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings_for(auth_env))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        client.headers["X-API-KEY"] = API_KEY
        yield client
    await app.state.services.close()


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A private redis-server on a free port (skipped where it is not installed)."""
    if REDIS is None:
        pytest.skip("redis-server is installed by `make test`")
    port = free_port()
    folder = tempfile.mkdtemp(prefix="macro-ai-redis-")
    process = subprocess.Popen(
        [REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", folder],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            break
        time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)
    shutil.rmtree(folder, ignore_errors=True)
