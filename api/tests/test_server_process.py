"""The real server over a real socket: graceful shutdown, JSON logs without secrets, metrics."""

from __future__ import annotations

import asyncio
import json
import signal
import time

import asyncpg
import httpx
import pytest
from api_support import API_KEY, service_environment
from macro_ai_devstack.testing import running_server


async def test_sigterm_drains_in_flight_requests_then_exits_zero(migrated_database: str, tmp_log) -> None:  # type: ignore[no-untyped-def]
    environment = service_environment(
        migrated_database, READINESS_TIMEOUT_SECONDS="10", SHUTDOWN_DRAIN_SECONDS="15"
    )
    blocker = await asyncpg.connect(migrated_database)
    with running_server(environment, tmp_log) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=20) as client:
            assert (await client.get("/api/health/ready")).status_code == 200
            # A slow request for real: its database query waits on a lock we hold.
            transaction = blocker.transaction()
            await transaction.start()
            await blocker.execute("LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE")
            slow = asyncio.create_task(client.get("/api/health/detailed"))
            await asyncio.sleep(0.5)
            assert not slow.done()

            server.signal(signal.SIGTERM)
            await asyncio.sleep(0.3)
            during_drain = await client.get("/api/health/ready")
            assert during_drain.status_code == 503
            assert during_drain.json()["checks"][0] == {
                "name": "shutdown",
                "status": "fail",
                "latencyMs": 0.0,
                "detail": "draining",
            }
            assert (await client.get("/api/health/live")).status_code == 200
            assert server.process is not None
            assert server.process.poll() is None

            sigterm_at = time.monotonic()
            await transaction.rollback()  # let the slow request finish
            response = await slow
            assert response.status_code == 200
            assert response.json()["status"] == "ok"
            exit_code = await asyncio.to_thread(server.wait, 15)
            assert exit_code == 0
            assert time.monotonic() - sigterm_at < 10
    await blocker.close()


async def test_sigterm_when_idle_exits_at_once(migrated_database: str, tmp_log) -> None:  # type: ignore[no-untyped-def]
    with running_server(service_environment(migrated_database), tmp_log) as server:
        started = time.monotonic()
        server.signal(signal.SIGTERM)
        assert await asyncio.to_thread(server.wait, 10) == 0
        assert time.monotonic() - started < 5


def test_logs_are_json_lines_without_secrets(migrated_database: str, tmp_log) -> None:  # type: ignore[no-untyped-def]
    environment = service_environment(migrated_database)
    bearer = "eyJhbGciOiJSUzI1NiJ9.secret-token-payload.signature"
    cookie = "macro-ai-accessToken=cookie-token-value; macro-ai-refreshToken=refresh-token-value"
    with running_server(environment, tmp_log) as server:
        headers = {
            "X-API-KEY": API_KEY,
            "Authorization": f"Bearer {bearer}",
            "Cookie": cookie,
            "X-Request-Id": "log-test-1",
        }
        assert httpx.get(server.url + "/api/system-info", headers=headers).status_code == 200
        httpx.post(
            server.url + "/api/auth/login",
            headers=headers,
            json={"email": "a@example.com", "password": "Hunter2-password!"},
        )
        httpx.get(server.url + "/api/system-info", headers={"X-API-KEY": "wrong-key-value-" + "w" * 20})
    output = tmp_log.read_text()
    records = [json.loads(line) for line in output.splitlines() if line.strip()]
    requests = [r for r in records if r.get("message") == "request"]
    assert {"time", "level", "message", "request_id", "method", "path", "status", "duration_ms"} <= set(
        requests[0]
    )
    first = next(r for r in requests if r["request_id"] == "log-test-1" and r["path"] == "/api/system-info")
    assert (first["method"], first["status"]) == ("GET", 200)
    for secret in (
        API_KEY,
        bearer,
        "cookie-token-value",
        "refresh-token-value",
        "Hunter2-password!",
        "wrong-key-value",
        environment["AWS_COGNITO_USER_POOL_SECRET_KEY"],
        environment["COOKIE_ENCRYPTION_KEY"],
    ):
        assert secret not in output
    # Metrics are flushed at shutdown in CloudWatch embedded metric format.
    emf = [r for r in records if "_aws" in r]
    routes = {r["Route"]: r for r in emf}
    assert routes["GET /api/system-info"]["Requests"] == 1
    assert routes["GET unrouted"]["Errors4xx"] == 1  # the wrong key, refused before routing
    assert emf[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "MacroAi/Api"
    assert sum(routes["GET /api/system-info"]["Latency"]["Counts"]) == 1


@pytest.mark.parametrize("signum", [signal.SIGINT])
def test_ctrl_c_also_stops_cleanly(migrated_database: str, tmp_log, signum: int) -> None:  # type: ignore[no-untyped-def]
    with running_server(service_environment(migrated_database), tmp_log) as server:
        server.signal(signum)
        assert server.wait(10) == 0
