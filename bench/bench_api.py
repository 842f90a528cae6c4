"""Issue 13: throughput and latency through the full middleware stack against a bare FastAPI endpoint
measured in the same run, and start-to-ready. Pinned: server on one core, wrk on the other."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import harness
import httpx
from macro_ai_devstack.testing import free_port

HERE = Path(__file__).resolve().parent
KEY = {"X-API-KEY": harness.API_KEY}
# The old Express service, measured side by side with the same method (issue 13's table).
EXPRESS = {"/api/health": "2,018 req/s, p99 72 ms", "/api/system-info": "2,113 req/s"}
AIMS = {
    "middleware cost": "< 20 % of the bare endpoint's throughput",
    "system-info": ">= 6,300 req/s (3x Express)",
    "p99": "< 50 ms at 50 connections",
    "start to ready": "< 0.6 s",
}


@dataclass(frozen=True)
class Start:
    ready: float  # seconds from process start to the first 200 on readiness
    cpu: float  # CPU seconds of the process by then
    # Seconds from process start to the first answer of a feature route (the chat list, 401 without a
    # token), sent right after that first 200: the feature routes load after readiness
    # (macro_ai.feature_loader), and a request that arrives before them waits for them.
    full: float


def start_to_ready(environment: dict[str, str], runs: int = 5, executable: str | None = None) -> list[Start]:
    executable = executable or harness.runtime_macro_ai()
    timings = []
    for _ in range(runs):
        port = free_port()
        env = {**environment, "SERVER_PORT": str(port)}
        started = time.monotonic()
        process = subprocess.Popen(
            harness.pinned([executable, "serve"]),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            harness.wait_for(f"http://127.0.0.1:{port}/api/health/ready", process, timeout=30, interval=0.002)
            ready, cpu = time.monotonic() - started, harness.cpu_seconds(process.pid)
            answer = httpx.get(f"http://127.0.0.1:{port}/api/chats", headers=KEY, timeout=30)
            assert answer.status_code == 401, answer.text  # the route's own answer, not a 404
            timings.append(Start(ready, cpu, time.monotonic() - started))
        finally:
            process.terminate()
            process.wait(timeout=30)
    return timings


FRAMEWORK_FLOOR = """
import subprocess, sys, time
ours = ("macro_ai", "macro_ai_contract")
serve_path = "import macro_ai.cli, macro_ai.main, macro_ai.server"
listed = subprocess.run(
    [sys.executable, "-c", f"import gc, sys; gc.disable(); {serve_path}; print(' '.join(sys.modules))"],
    capture_output=True, text=True, check=True).stdout.split()
before = set(sys.modules)
names = [n for n in listed if n.split(".")[0] not in ours and n not in before and not n.startswith("__")]
import gc, importlib
gc.disable()
started = time.perf_counter()
for name in names:
    try:
        importlib.import_module(name)
    except Exception:
        pass  # a module that only imports as a side effect of another; its parent brought it in
print(time.perf_counter() - started)
"""


def framework_imports(runs: int = 5) -> list[float]:
    """Seconds to import, in a fresh process of the image's dependency set, exactly the modules that
    the serve path imports except our own: the floor under start-to-ready that our code cannot go below."""
    python = str(Path(harness.runtime_macro_ai()).with_name("python"))
    return [
        float(
            subprocess.run(
                harness.pinned([python, "-c", FRAMEWORK_FLOOR]), capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(runs)
    ]


def main(seconds: int = 10, figures: dict[str, float] | None = None) -> list[str]:
    with harness.database() as url:
        environment = harness.service_environment(url)
        bare_port = free_port()
        bare_command = [sys.executable, str(HERE / "bare_app.py"), str(bare_port)]
        with harness.server(bare_command, harness.base_environment(), bare_port, "/api/health/live") as bare:
            bare_live = harness.wrk(bare, "/api/health/live", seconds=seconds)
        port = free_port()
        with harness.server(
            [harness.macro_ai(), "serve"],
            {**environment, "SERVER_PORT": str(port)},
            port,
            "/api/health/ready",
            until=harness.features_loaded,
        ) as full:
            loads = {
                "/api/health/live": harness.wrk(full, "/api/health/live", seconds=seconds),
                "/api/health": harness.wrk(full, "/api/health", seconds=seconds),
                "/api/system-info": harness.wrk(full, "/api/system-info", KEY, seconds=seconds),
            }
        ready = start_to_ready(environment)  # the image's dependency set
        ready_dev = start_to_ready(environment, executable=harness.macro_ai())
        floor = framework_imports()

    lines = [
        "| endpoint | requests/s | p50 ms | p99 ms | requests per CPU-second | Express (issue 13) |",
        "|---|---|---|---|---|---|",
    ]
    for name, load, express in (
        ("bare FastAPI, no middleware: GET /api/health/live", bare_live, ""),
        *((f"full stack: GET {path}", load, EXPRESS.get(path, "")) for path, load in loads.items()),
    ):
        lines.append(
            f"| {name} | {load.requests_per_second:,.0f} | {load.p50_ms:.2f} | {load.p99_ms:.2f} "
            f"| {load.per_cpu_second:,.0f} | {express} |"
        )
    live = loads["/api/health/live"]
    if figures is not None:  # per-worker throughput for docs/capacity.json (macro-deploy cost)
        figures["GET /api/health/live"] = live.requests_per_second
        figures["GET /api/system-info"] = loads["/api/system-info"].requests_per_second
    cost = 1 - live.requests_per_second / bare_live.requests_per_second
    cost_cpu = 1 - live.per_cpu_second / bare_live.per_cpu_second
    info = loads["/api/system-info"]
    worst_p99 = max(load.p99_ms for load in loads.values())
    errors = sum(load.non_2xx + load.timeouts for load in (bare_live, *loads.values()))
    walls, cpus, fulls = [s.ready for s in ready], [s.cpu for s in ready], [s.full for s in ready]
    lines += [
        "",
        f"- Middleware cost on /api/health/live: {cost:.0%} of bare throughput, "
        f"{cost_cpu:.0%} per CPU-second "
        f"(aim {AIMS['middleware cost']}).",
        f"- /api/system-info: {info.requests_per_second:,.0f} req/s "
        f"({info.per_cpu_second:,.0f} per CPU-second), "
        f"{info.requests_per_second / 2113:.1f}x Express (aim {AIMS['system-info']}).",
        f"- Worst p99 of the full stack: {worst_p99:.2f} ms (aim {AIMS['p99']}); "
        f"non-2xx answers and wrk timeouts in all runs: {errors}.",
        f"- Process start to first 200 on /api/health/ready: median {harness.median(walls):.2f} s "
        f"(runs: {', '.join(f'{t:.2f}' for t in walls)}), CPU median {harness.median(cpus):.2f} s "
        f"(aim {AIMS['start to ready']}); with the image's dependencies only "
        f"({harness.RUNTIME_VENV.name}). From the development venv: median "
        f"{harness.median([s.ready for s in ready_dev]):.2f} s.",
        f"- Process start to the first answer of a feature route (GET /api/chats, sent at that first "
        f"200; the feature routes load after readiness): median {harness.median(fulls):.2f} s "
        f"(runs: {', '.join(f'{t:.2f}' for t in fulls)}).",
        f"- Of that start, importing the frameworks alone (every module the serve path imports, except "
        f"ours, in a fresh process of the same venv on the same core): median {harness.median(floor):.2f} s "
        f"(runs: {', '.join(f'{t:.2f}' for t in floor)}).",
    ]
    return lines


if __name__ == "__main__":
    print("\n".join(main()))
