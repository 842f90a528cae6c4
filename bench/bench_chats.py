"""Issues 3 and 13: authenticated GET /api/chats for a user with 100 chats against a raw asyncpg loop
running the same page query on the same core in the same run, and the time the service adds to the
first streamed byte over the provider's own first byte."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import harness
import httpx
from log_volume import LogMeter, memory_kib, metric_document_bytes
from macro_ai_devstack.testing import free_port

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api" / "tests"))
from fake_openai import Script, fake_openai_server

PASSWORD = "Correct-Horse-9"  # noqa: S105 - a benchmark user's


def sign_in(client: httpx.Client) -> str:
    email = "bench@example.com"
    body = {"email": email, "password": PASSWORD, "confirmPassword": PASSWORD}
    client.post("/api/auth/register", json=body).raise_for_status()
    client.post("/api/auth/confirm-registration", json={"email": email, "code": "123456"}).raise_for_status()
    login = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    login.raise_for_status()
    token: str = login.json()["tokens"]["accessToken"]
    return token


def signed_in_with_chats(client: httpx.Client, count: int = 100) -> tuple[dict[str, str], list[str]]:
    """A signed-in benchmark user with ``count`` chats: its bearer header and the chats' ids."""
    auth = {"Authorization": f"Bearer {sign_in(client)}"}
    ids = []
    for i in range(count):
        created = client.post("/api/chats", json={"title": f"chat {i}"}, headers=auth)
        created.raise_for_status()
        ids.append(created.json()["data"]["id"])
    return auth, ids


def first_byte(client: httpx.Client, method: str, url: str, **kwargs: Any) -> float:
    started = time.perf_counter()
    with client.stream(method, url, **kwargs) as response:
        response.raise_for_status()
        chunks = response.iter_raw()
        next(chunks)
        elapsed = time.perf_counter() - started
        for _ in chunks:
            pass
    return elapsed


HERE = Path(__file__).resolve().parent
POOL_SIZE = 10  # the service's DATABASE_POOL_SIZE default: the raw loop gets the same connections


def raw_page_loop(database_url: str, user_id: str, seconds: int) -> tuple[float, float]:
    """(queries/s, queries per CPU-second) of the asyncpg ceiling, pinned to the server's core."""
    command = [
        sys.executable,
        str(HERE / "raw_page_loop.py"),
        database_url,
        user_id,
        str(seconds),
        str(POOL_SIZE),
    ]
    output = subprocess.run(harness.pinned(command), check=True, capture_output=True, text=True).stdout
    done, elapsed, cpu = (float(value) for value in output.split())
    return done / elapsed, done / cpu


def main(
    seconds: int = 10,
    samples: int = 30,
    figures: dict[str, float] | None = None,
    measures: dict[str, float] | None = None,
) -> list[str]:
    with harness.emulated_cognito() as pool, harness.database() as url, fake_openai_server() as fake:
        fake.reset(Script(chunks=["Hello", " from", " the", " model"], delay=0.0))
        port = free_port()
        environment = harness.emulated_cognito_environment(
            url,
            pool.environment(),
            port,
            AI_PROVIDER="openai",
            OPENAI_API_KEY="sk-bench",
            OPENAI_BASE_URL=fake.base_url,
            OPENAI_MODEL="fake",
            DATABASE_POOL_SIZE=str(POOL_SIZE),
        )
        command = [harness.macro_ai(), "serve"]
        with harness.server(command, environment, port, "/api/health/ready") as api:
            client = httpx.Client(base_url=api.url, headers={"X-API-KEY": harness.API_KEY}, timeout=30)
            auth, chat_ids = signed_in_with_chats(client)
            user_id = client.get("/api/users/me", headers=auth).json()["user"]["id"]
            meter = LogMeter(api.log)
            meter.start()
            listing = harness.wrk(api, "/api/chats", {"X-API-KEY": harness.API_KEY, **auth}, seconds=seconds)
            logged = meter.stop()
            _, peak_kib = memory_kib(api.pid)
            raw_rate, raw_per_cpu = raw_page_loop(url, user_id, seconds)

            provider = httpx.Client(timeout=30)
            body = {"model": "fake", "messages": [{"role": "user", "content": "hi"}], "stream": True}
            direct, through = [], []
            for i in range(samples):
                direct.append(first_byte(provider, "POST", fake.base_url + "/chat/completions", json=body))
                through.append(
                    first_byte(
                        client,
                        "POST",
                        f"/api/chats/{chat_ids[i]}/stream",
                        json={"messages": [{"role": "user", "content": "hi"}]},
                        headers=auth,
                    )
                )

    if figures is not None:  # per-worker throughput for docs/capacity.json
        figures["GET /api/chats"] = listing.requests_per_second
    document = metric_document_bytes(api.log)
    if measures is not None:  # what a request costs besides CPU, for docs/capacity.json
        measures["log_bytes_per_request"] = logged.per_request
        measures["peak_rss_mib"] = peak_kib / 1024
        if document is not None:
            measures["metric_document_bytes"] = document
    extra = [(t - d) * 1000 for t, d in zip(through, direct, strict=True)]
    return [
        "| measure | value |",
        "|---|---|",
        f"| GET /api/chats (100 chats, page of 20, signed in): req/s | {listing.requests_per_second:,.0f} |",
        f"| GET /api/chats: p50 / p99 ms | {listing.p50_ms:.2f} / {listing.p99_ms:.2f} |",
        f"| GET /api/chats: non-2xx answers / wrk timeouts (server log: /tmp/macro-ai-bench-server-*.log) "
        f"| {listing.non_2xx} / {listing.timeouts} |",
        f"| GET /api/chats: log bytes per request (stdout, access log on) / server peak RSS MiB "
        f"| {logged.per_request:.0f} / {peak_kib / 1024:.0f} |",
        f"| raw asyncpg loop, same query, 50 tasks, same core: queries/s | {raw_rate:,.0f} |",
        f"| GET /api/chats as a share of the raw loop (aim >= 40 %) "
        f"| {listing.requests_per_second / raw_rate:.0%} |",
        f"| the same, per CPU-second of each process | {listing.per_cpu_second:,.0f} / {raw_per_cpu:,.0f} "
        f"= {listing.per_cpu_second / raw_per_cpu:.0%} |",
        f"| provider's own first byte, median ms | {statistics.median(direct) * 1000:.2f} |",
        f"| first streamed byte through the API, median ms | {statistics.median(through) * 1000:.2f} |",
        f"| added by the service (auth, ownership, storing the user message), median / max ms "
        f"| {statistics.median(extra):.2f} / {max(extra):.2f} |",
    ]


if __name__ == "__main__":
    print("\n".join(main()))
