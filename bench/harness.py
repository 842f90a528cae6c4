"""Shared pieces of the benchmarks: a PostgreSQL, the server as a child process, wrk, timings."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from macro_ai.db import migrate
from macro_ai_devstack.cognito import CognitoPool, create_pool, start_emulator
from macro_ai_devstack.postgres import LocalPostgres
from macro_ai_devstack.testing import base_environment, free_port

API_KEY = "bench-api-key-" + "b" * 32
# The pinned method (issue 13): the server under test on one core, the load generator on the other, so
# the two never compete for a core with each other (other work on the machine still may).
SERVER_CORE = "0"
LOAD_CORE = "1"
CONNECTIONS = 50
UNLIMITED = {f"{prefix}RATE_LIMIT_MAX_REQUESTS": "100000000" for prefix in ("", "AUTH_", "API_")}


@contextlib.contextmanager
def database() -> Iterator[str]:
    folder = Path(tempfile.mkdtemp(prefix="macro-ai-bench-pg-"))
    postgres = LocalPostgres(folder / "data", free_port())
    postgres.start()
    try:
        migrate.upgrade(postgres.url)
        yield postgres.url
    finally:
        postgres.destroy()
        shutil.rmtree(folder, ignore_errors=True)


def service_environment(database_url: str, **extra: str) -> dict[str, str]:
    return {
        **base_environment(),
        "APP_ENV": "test",
        "API_KEY": API_KEY,
        "COOKIE_ENCRYPTION_KEY": "cd" * 32,
        "AWS_COGNITO_USER_POOL_ID": "us-east-1_" + "0" * 32,
        "AWS_COGNITO_USER_POOL_CLIENT_ID": "bench",
        "AWS_COGNITO_USER_POOL_SECRET_KEY": "bench-secret",
        "RELATIONAL_DATABASE_URL": database_url,
        "LOG_LEVEL": "info",  # request logging on, as in production
        **UNLIMITED,
        **extra,
    }


@contextlib.contextmanager
def emulated_cognito() -> Iterator[CognitoPool]:
    """The local Cognito emulator on a free port, with a user pool and app client in it."""
    port = free_port()
    emulator = start_emulator(port)
    try:
        yield create_pool(f"http://127.0.0.1:{port}")
    finally:
        emulator.stop()


def emulated_cognito_environment(
    database_url: str, pool_environment: dict[str, str], port: int, **extra: str
) -> dict[str, str]:
    """The service against the local Cognito emulator (``macro_ai_devstack.cognito``) on ``port``."""
    return service_environment(
        database_url,
        **pool_environment,
        SERVER_PORT=str(port),
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",  # noqa: S106 - the emulator accepts any
        **extra,
    )


@dataclass(frozen=True)
class Served:
    url: str
    pid: int
    log: Path  # the server's stdout and stderr


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def answers_200(response: httpx.Response) -> bool:
    return response.status_code == 200


def features_loaded(response: httpx.Response) -> bool:
    """Readiness passes and the feature routes are in: they load after readiness (macro_ai.feature_loader).
    A throughput run measures that steady state, which is all a load balancer ever sends to (it waits
    for a second passing check, seconds later)."""
    if response.status_code != 200:
        return False
    return {check["name"]: check["detail"] for check in response.json()["checks"]}["features"] == "loaded"


@contextlib.contextmanager
def server(
    command: Sequence[str],
    environment: dict[str, str],
    port: int,
    ready_path: str,
    until: Callable[[httpx.Response], bool] = answers_200,
) -> Iterator[Served]:
    url = f"http://127.0.0.1:{port}"
    # The server's output (one JSON line per request) goes to a file: the log is written as in
    # production, and kept for a look when a run shows errors.
    log = Path(tempfile.gettempdir()) / f"macro-ai-bench-server-{port}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(pinned(command), env=environment, stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_for(url + ready_path, process, timeout=30, until=until)
        yield Served(url, process.pid, log)
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_for(
    url: str,
    process: subprocess.Popen[bytes],
    timeout: float,
    interval: float = 0.005,
    until: Callable[[httpx.Response], bool] = answers_200,
) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        with contextlib.suppress(httpx.TransportError):
            if until(httpx.get(url, timeout=1)):
                return time.monotonic() - started
        time.sleep(interval)
    raise TimeoutError(url)


@dataclass(frozen=True)
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    # Requests per CPU-second of the server process: what one core would serve if it were the server's
    # alone. On a shared machine this is far steadier than wall-clock throughput.
    per_cpu_second: float
    non_2xx: int = 0
    timeouts: int = 0  # wrk's own 2 s limit
    requests: int = 0  # answered in the run


def _millis(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def pinned(command: Sequence[str], core: str = SERVER_CORE) -> list[str]:
    return ["taskset", "-c", core, *command]


def wrk(
    served: Served,
    path: str,
    headers: dict[str, str] | None = None,
    seconds: int = 10,
    connections: int = CONNECTIONS,
) -> Load:
    url = served.url + path
    arguments = pinned(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"], LOAD_CORE)
    for name, value in (headers or {}).items():
        arguments += ["-H", f"{name}: {value}"]
    cpu_before = cpu_seconds(served.pid)
    output = subprocess.run([*arguments, url], check=True, capture_output=True, text=True).stdout
    cpu = cpu_seconds(served.pid) - cpu_before
    # Errors are a figure, not a crash: a run on this shared machine can still say something.
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    timeouts = re.search(r"timeout (\d+)", output)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    # Anchored to the start of a line: the thread-stats table's "+/- Stdev" column (e.g. "78.50%")
    # also ends in "50%", and once made this read the next word as a latency.
    p50 = _millis(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    p99 = _millis(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    return Load(
        rps,
        p50,
        p99,
        total / cpu if cpu else float("nan"),
        int(errors.group(1)) if errors else 0,
        int(timeouts.group(1)) if timeouts else 0,
        total,
    )


def macro_ai() -> str:
    return str(Path(sys.executable).with_name("macro-ai"))


REPOSITORY = Path(__file__).resolve().parents[1]
RUNTIME_VENV = REPOSITORY / ".tools" / "bench-runtime-venv"


def runtime_macro_ai() -> str:
    """``macro-ai`` from a virtualenv holding only what the image holds: the API's locked runtime
    dependencies, the project installed as wheels, bytecode compiled (as api/Dockerfile builds it).
    The development venv also has rich, typer and the test tools, and structlog imports rich when it
    is there, so start-up measured there is slower than production's. Brought up to date each run."""
    subprocess.run(
        [
            str(REPOSITORY / ".tools" / "bin" / "uv"),
            "sync",
            "--frozen",
            "--no-dev",
            "--package",
            "macro-ai",
            "--no-editable",
            "--compile-bytecode",
            # The project itself rebuilt every time: uv keys a non-editable local package on its
            # pyproject.toml, so a code change alone would leave the old code installed.
            "--reinstall-package",
            "macro-ai",
            "--reinstall-package",
            "macro-ai-contract",
            "--quiet",
        ],
        env={**os.environ, "UV_PROJECT_ENVIRONMENT": str(RUNTIME_VENV)},
        cwd=REPOSITORY,
        check=True,
    )
    return str(RUNTIME_VENV / "bin" / "macro-ai")


def median(values: Sequence[float]) -> float:
    return statistics.median(values)
