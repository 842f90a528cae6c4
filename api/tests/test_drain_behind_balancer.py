"""SIGTERM under load behind a real load balancer: HAProxy in front of two instances, readiness checked
on the contract's timing (scaled down), about 200 requests/s from an open-loop generator over real
sockets. One instance is stopped mid-load; no request may fail and it must exit 0.

The second case is the defect this guards against: an instance that stops accepting before the
balancer can have noticed (here: it believes the balancer detects in 1 s while HAProxy takes 4 s)
makes the balancer send requests to a closed port, and they fail.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import shutil
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_support import API_KEY, GENEROUS_LIMITS, contract_file, fast_drain_contract, service_environment
from macro_ai_contract import ServiceContract, load_contract
from macro_ai_devstack.testing import ServerProcess, free_port

RATE_PER_SECOND = 200
LOAD_BEFORE_SIGTERM_SECONDS = 3.0
LOAD_AFTER_EXIT_SECONDS = 1.0
STATS_PATH = "/haproxy-stats"

pytestmark = pytest.mark.skipif(
    shutil.which("haproxy") is None,
    reason="haproxy is not installed (make test-deps installs the Debian package)",
)


def haproxy_config(port: int, backends: list[int], contract: ServiceContract) -> str:
    servers = "\n".join(f"  server api{i} 127.0.0.1:{p} check" for i, p in enumerate(backends))
    return f"""
global
  maxconn 4000
defaults
  mode http
  # Like the ALB: a refused connection is the client's error, not retried elsewhere.
  retries 0
  timeout connect 1s
  timeout client {contract.load_balancer_idle_timeout_seconds}s
  timeout http-keep-alive {contract.load_balancer_idle_timeout_seconds}s
  timeout server 10s
frontend front
  bind 127.0.0.1:{port}
  stats enable
  stats uri {STATS_PATH}
  default_backend api
backend api
  balance roundrobin
  option httpchk GET {contract.readiness_path}
  http-check expect status 200
  timeout check {contract.health_check_timeout_seconds}s
  default-server inter {contract.health_check_interval_seconds}s \
fall {contract.unhealthy_threshold} rise {contract.healthy_threshold}
{servers}
"""


@contextlib.contextmanager
def haproxy(folder: Path, backends: list[int], contract: ServiceContract) -> Iterator[str]:
    port = free_port()
    config = folder / "haproxy.cfg"
    config.write_text(haproxy_config(port, backends, contract))
    with (folder / "haproxy.log").open("wb") as log:
        process = subprocess.Popen(["haproxy", "-db", "-f", str(config)], stdout=log, stderr=log)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


def servers_up(url: str) -> dict[str, str]:
    rows = httpx.get(url + STATS_PATH + ";csv", timeout=2).text.splitlines()
    fields = rows[0].lstrip("# ").split(",")
    table = [dict(zip(fields, row.split(","), strict=False)) for row in rows[1:] if row]
    return {r["svname"]: r["status"] for r in table if r["svname"].startswith("api")}


def wait_all_up(url: str, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            status = servers_up(url)
            if len(status) == count and all(s == "UP" for s in status.values()):
                return
        time.sleep(0.2)
    raise TimeoutError(f"backends not all UP in HAProxy within {timeout}s")


async def open_loop_load(url: str, stop: asyncio.Event) -> Counter[str]:
    """Requests start on schedule whatever the answers take (open loop), until ``stop`` is set."""
    results: Counter[str] = Counter()

    async def one(client: httpx.AsyncClient) -> None:
        try:
            response = await client.get("/api/system-info", headers={"X-API-KEY": API_KEY})
            results[str(response.status_code)] += 1
        except httpx.HTTPError as error:
            results[type(error).__name__] += 1

    limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
    async with httpx.AsyncClient(base_url=url, timeout=10, limits=limits) as client:
        tasks: list[asyncio.Task[None]] = []
        started = time.monotonic()
        while not stop.is_set():
            tasks.append(asyncio.create_task(one(client)))
            next_at = started + len(tasks) / RATE_PER_SECOND
            await asyncio.sleep(max(next_at - time.monotonic(), 0))
        await asyncio.gather(*tasks)
    return results


def requests_served_after(log: Path, moment: float) -> int:
    served = 0
    for line in log.read_text(errors="replace").splitlines():
        with contextlib.suppress(ValueError):
            record = json.loads(line)
            if record.get("message") == "request" and record.get("path") == "/api/system-info":
                served += datetime.datetime.fromisoformat(record["time"]).timestamp() > moment
    return served


async def stop_one_under_load(
    folder: Path, database_url: str, balancer: Path, instance_contract: Path
) -> tuple[Counter[str], int, int]:
    """Failed-or-not counts of the whole load, the stopped instance's exit code, and how many requests
    it served after SIGTERM."""
    contract = load_contract(balancer)
    environment = service_environment(
        database_url,
        MACRO_AI_SERVICE_CONTRACT=str(instance_contract),
        SHUTDOWN_DRAIN_SECONDS=str(contract.drain_seconds),
        **GENEROUS_LIMITS,
    )
    stopped = ServerProcess(environment, folder / "stopped.log").start()
    staying = ServerProcess(environment, folder / "staying.log").start()
    try:
        with haproxy(folder, [stopped.port, staying.port], contract) as url:
            await asyncio.to_thread(wait_all_up, url, 2, contract.health_check_interval_seconds * 4 + 5)
            stop = asyncio.Event()
            load = asyncio.create_task(open_loop_load(url, stop))
            await asyncio.sleep(LOAD_BEFORE_SIGTERM_SECONDS)
            sigterm_at = time.time()
            stopped.signal(signal.SIGTERM)
            exit_code = await asyncio.to_thread(stopped.wait, contract.stop_timeout_seconds)
            await asyncio.sleep(LOAD_AFTER_EXIT_SECONDS)
            stop.set()
            results = await load
    finally:
        stopped.stop()
        staying.stop()
    return results, exit_code, requests_served_after(stopped.log_path, sigterm_at)


async def test_no_request_fails_when_an_instance_is_stopped_under_load(
    migrated_database: str, tmp_path: Path
) -> None:
    contract = fast_drain_contract(tmp_path)
    results, exit_code, served_after = await stop_one_under_load(
        tmp_path, migrated_database, contract, contract
    )
    assert exit_code == 0
    assert sum(results.values()) > RATE_PER_SECOND * LOAD_BEFORE_SIGTERM_SECONDS  # the load really ran
    assert results == Counter({"200": sum(results.values())}), results
    assert served_after > 0  # the stopped instance kept serving while the balancer caught up


async def test_stopping_before_the_balancer_notices_drops_requests(
    migrated_database: str, tmp_path: Path
) -> None:
    """The defect, reproduced: the instance believes detection takes 1 s; HAProxy needs up to 4 s."""
    balancer = fast_drain_contract(tmp_path)
    hasty = contract_file(
        tmp_path,
        balancer={"healthCheckIntervalSeconds": 1, "healthCheckTimeoutSeconds": 0, "unhealthyThreshold": 1},
        shutdown={"drainSeconds": 5, "stopTimeoutSeconds": 15, "marginSeconds": 1},
        streams={"maxSeconds": 5},
    )
    results, exit_code, _ = await stop_one_under_load(tmp_path, migrated_database, balancer, hasty)
    assert exit_code == 0
    assert results["200"] < sum(results.values()), results
