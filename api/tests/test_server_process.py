"""The real server over a real socket: graceful shutdown, JSON logs without secrets, metrics."""

from __future__ import annotations

import asyncio
import http.client
import json
import signal
import time
from pathlib import Path

import asyncpg
import httpx
import pytest
from api_support import API_KEY, fast_drain_contract, service_environment
from macro_ai_contract import load_contract
from macro_ai_devstack.testing import running_server


def _drain_environment(database_url: str, folder: Path, **overrides: str) -> tuple[dict[str, str], float]:
    """The service with a scaled-down contract; also the contract's accept window after SIGTERM."""
    path = fast_drain_contract(folder)
    environment = service_environment(
        database_url, MACRO_AI_SERVICE_CONTRACT=str(path), SHUTDOWN_DRAIN_SECONDS="5", **overrides
    )
    return environment, load_contract(path).accept_after_sigterm_seconds


async def test_sigterm_drains_in_flight_requests_then_exits_zero(
    migrated_database: str, tmp_log: Path, tmp_path: Path
) -> None:
    environment, accept_seconds = _drain_environment(
        migrated_database, tmp_path, READINESS_TIMEOUT_SECONDS="10"
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

            sigterm_at = time.monotonic()
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
            # Past the accept window the slow request still holds the process open.
            await asyncio.sleep(accept_seconds + 0.5 - (time.monotonic() - sigterm_at))
            assert server.process is not None
            assert server.process.poll() is None

            await transaction.rollback()  # let the slow request finish
            response = await slow
            assert response.status_code == 200
            assert response.json()["status"] == "ok"
            exit_code = await asyncio.to_thread(server.wait, 15)
            assert exit_code == 0
            assert (
                time.monotonic() - sigterm_at
                < load_contract(Path(environment["MACRO_AI_SERVICE_CONTRACT"])).stop_timeout_seconds
            )
    await blocker.close()


async def test_sigterm_keeps_accepting_new_connections_until_the_balancer_has_noticed(
    migrated_database: str, tmp_log: Path, tmp_path: Path
) -> None:
    """Idle at SIGTERM, the instance still takes new connections for the detection time (the old
    behaviour closed the listener at once), then stops accepting and exits 0."""
    environment, accept_seconds = _drain_environment(migrated_database, tmp_path)
    with running_server(environment, tmp_log) as server:
        sigterm_at = time.monotonic()
        server.signal(signal.SIGTERM)
        await asyncio.sleep(0.3)
        # New connections each time (no keep-alive reuse): the listener itself must still be open.
        async with httpx.AsyncClient(base_url=server.url, timeout=5) as client:
            assert (await client.get("/api/health/ready")).status_code == 503
        late = sigterm_at + accept_seconds - 1.0
        await asyncio.sleep(late - time.monotonic())
        async with httpx.AsyncClient(base_url=server.url, timeout=5) as client:
            response = await client.get("/api/health/live")
        assert response.status_code == 200
        assert response.headers["connection"] == "close"  # draining: no keep-alive reuse
        assert await asyncio.to_thread(server.wait, 15) == 0
        exited_after = time.monotonic() - sigterm_at
        assert accept_seconds <= exited_after < accept_seconds + 5
        with pytest.raises(httpx.ConnectError):
            httpx.get(server.url + "/api/health/live", timeout=2)


def test_idle_connection_outlives_the_balancers_idle_timeout(
    migrated_database: str, tmp_log: Path, tmp_path: Path
) -> None:
    """uvicorn's keep-alive comes from the contract: an idle connection stays open past the load
    balancer's idle timeout (so the balancer closes first) and is closed after the keep-alive."""
    environment, _ = _drain_environment(migrated_database, tmp_path)
    contract = load_contract(Path(environment["MACRO_AI_SERVICE_CONTRACT"]))
    with running_server(environment, tmp_log) as server:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        connection.request("GET", "/api/health/live")
        assert connection.getresponse().read() == b'{"status":"alive"}'
        first_socket = connection.sock
        time.sleep(contract.load_balancer_idle_timeout_seconds + 0.5)
        connection.request("GET", "/api/health/live")
        assert connection.getresponse().read() == b'{"status":"alive"}'
        assert connection.sock is first_socket  # the same connection, still open
        started = time.monotonic()
        assert first_socket.recv(1) == b""  # closed by the server...
        idle = time.monotonic() - started
        connection.close()
        # ...after about the contract's keep-alive, not before the balancer's idle timeout.
        assert contract.load_balancer_idle_timeout_seconds < idle < contract.keep_alive_timeout_seconds + 2


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
    assert "Requests" not in routes["GET /api/system-info"]  # the request count is Latency's SampleCount
    assert routes["GET unrouted"]["Errors4xx"] == 1  # the wrong key, refused before routing
    assert {d["Namespace"] for d in emf[0]["_aws"]["CloudWatchMetrics"]} == {"MacroAi/Api"}
    assert sum(routes["GET /api/system-info"]["Latency"]["Counts"]) == 1


@pytest.mark.parametrize("signum", [signal.SIGINT])
def test_ctrl_c_also_stops_cleanly(migrated_database: str, tmp_log, signum: int) -> None:  # type: ignore[no-untyped-def]
    with running_server(service_environment(migrated_database), tmp_log) as server:
        server.signal(signum)
        assert server.wait(10) == 0
