"""Issue 2: throughput and latency through the full middleware stack, and start-to-ready."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import harness
from macro_ai_devstack.testing import free_port

HERE = Path(__file__).resolve().parent


def start_to_ready(environment: dict[str, str], runs: int = 5) -> list[float]:
    timings = []
    for _ in range(runs):
        port = free_port()
        env = {**environment, "SERVER_PORT": str(port)}
        started = time.monotonic()
        process = subprocess.Popen(
            [harness.macro_ai(), "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            harness.wait_for(f"http://127.0.0.1:{port}/api/health/ready", process, timeout=30, interval=0.002)
            timings.append(time.monotonic() - started)
        finally:
            process.terminate()
            process.wait(timeout=30)
    return timings


def main(seconds: int = 10, figures: dict[str, float] | None = None) -> list[str]:
    lines = []
    with harness.database() as url:
        environment = harness.service_environment(url)
        bare_port = free_port()
        bare_command = [sys.executable, str(HERE / "bare_app.py"), str(bare_port)]
        with harness.server(bare_command, harness.base_environment(), bare_port, "/api/health/live") as bare:
            bare_live = harness.wrk(bare + "/api/health/live", seconds=seconds)
        port = free_port()
        with harness.server(
            [harness.macro_ai(), "serve"],
            {**environment, "SERVER_PORT": str(port)},
            port,
            "/api/health/ready",
        ) as full:
            full_live = harness.wrk(full + "/api/health/live", seconds=seconds)
            info = harness.wrk(full + "/api/system-info", {"X-API-KEY": harness.API_KEY}, seconds=seconds)
        ready = start_to_ready(environment)

    lines.append("| endpoint | requests/s | p50 ms | p99 ms |")
    lines.append("|---|---|---|---|")
    for name, load in (
        ("bare FastAPI, no middleware: GET /api/health/live", bare_live),
        ("full stack: GET /api/health/live", full_live),
        ("full stack, API key: GET /api/system-info", info),
    ):
        lines.append(f"| {name} | {load.requests_per_second:,.0f} | {load.p50_ms:.2f} | {load.p99_ms:.2f} |")
    if figures is not None:  # per-worker throughput for docs/capacity.json
        figures["GET /api/health/live"] = full_live.requests_per_second
        figures["GET /api/system-info"] = info.requests_per_second
    cost = 1 - full_live.requests_per_second / bare_live.requests_per_second
    lines.append("")
    lines.append(f"Middleware cost on /api/health/live: {cost:.0%} of bare throughput.")
    lines.append(
        f"Process start to first 200 on /api/health/ready: median {harness.median(ready):.2f} s "
        f"(runs: {', '.join(f'{t:.2f}' for t in ready)})."
    )
    return lines


if __name__ == "__main__":
    print("\n".join(main()))
