"""The README's run command, tried as a new user would: a fresh clone, `make run`, Ctrl-C.

Slow (it bootstraps uv and a virtualenv in the clone), so marked; CI runs it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from macro_ai_devstack.testing import free_port

REPOSITORY = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def postgres_processes(folder: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        with contextlib.suppress(psutil.Error):
            if process.info["name"] == "postgres" and str(folder) in " ".join(process.info["cmdline"] or []):
                found.append(process)
    return found


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "make run exited early"
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(url + "/api/health/ready", timeout=2).status_code == 200:
                return
        time.sleep(0.5)
    raise AssertionError(f"not ready within {timeout}s")


@pytest.fixture
def clone() -> Iterator[Path]:
    # Outside pytest's private temporary root: PostgreSQL's system user must reach .data/.
    target = Path(tempfile.mkdtemp(prefix="macro-ai-clone-")) / "macro-ai"
    subprocess.run(["git", "clone", "--quiet", str(REPOSITORY), str(target)], check=True)
    yield target
    shutil.rmtree(target.parent, ignore_errors=True)


def start(clone: Path, environment: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen(
            ["make", "run"],
            cwd=clone,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def test_make_run_on_a_fresh_clone(clone: Path, tmp_path: Path) -> None:
    port = free_port()
    # The user's own environment (it carries the machine's proxy and CA settings), without ours.
    inherited = {
        k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "UV_", "PYTEST", "AWS_"))
    }
    environment = {
        **inherited,
        "SERVER_PORT": str(port),
        "DEV_POSTGRES_PORT": str(free_port()),
        "DEV_COGNITO_PORT": str(free_port()),
        "UV_COMPILE_BYTECODE": "0",  # the 11,000-file compile is for people, not for this test
    }
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "run.log"
    data = clone / ".data" / "postgres"

    run = start(clone, environment, log)
    try:
        wait_ready(url, run, timeout=420)
        docs = httpx.get(url + "/api/docs")
        assert docs.status_code == 200
        assert "swagger" in docs.text.lower()
        assert postgres_processes(data)

        # A crash of the run command itself leaves its PostgreSQL behind...
        group = os.getpgid(run.pid)
        for process in psutil.process_iter(["name"]):
            with contextlib.suppress(psutil.Error):
                if os.getpgid(process.pid) == group and process.info["name"] != "postgres":
                    process.kill()
        run.wait(timeout=30)
        time.sleep(1)
        assert postgres_processes(data), "expected the crash to orphan PostgreSQL"

        # ...which the next run stops before starting its own.
        run = start(clone, environment, log)
        wait_ready(url, run, timeout=180)
        assert "stopped a PostgreSQL left running by an earlier run" in log.read_text()
    finally:
        if run.poll() is None:
            os.killpg(os.getpgid(run.pid), signal.SIGINT)  # Ctrl-C reaches the whole foreground group
            run.wait(timeout=60)
    deadline = time.monotonic() + 20
    while postgres_processes(data) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not postgres_processes(data), "Ctrl-C must leave no PostgreSQL running"
    with pytest.raises(httpx.TransportError):
        httpx.get(url + "/api/health/live", timeout=2)
