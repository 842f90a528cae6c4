"""`make run`'s runner (``python -m macro_ai_devstack``: PostgreSQL, the Cognito emulator and
``macro-ai serve --reload``) over real sockets: what it prints, whom it trusts, and that every local
route works."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from macro_ai_devstack.run import DEVELOPMENT_DEFAULTS
from macro_ai_devstack.testing import base_environment, free_port


@dataclass
class Runner:
    url: str
    log: Path
    process: subprocess.Popen[bytes]

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture(scope="module")
def runner() -> Iterator[Runner]:
    # Outside pytest's private temporary root: PostgreSQL's system user must reach the data folder.
    folder = Path(tempfile.mkdtemp(prefix="macro-ai-devrun-"))
    port = free_port()
    environment = {
        **base_environment(),
        "SERVER_PORT": str(port),
        "DEV_POSTGRES_PORT": str(free_port()),
        "DEV_COGNITO_PORT": str(free_port()),
        "DEV_DATA_DIR": str(folder / "data"),
        "API_RATE_LIMIT_MAX_REQUESTS": "3",
    }
    log = folder / "run.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "macro_ai_devstack"],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    found = Runner(f"http://127.0.0.1:{port}", log, process)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert process.poll() is None, found.output()
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(found.url + "/api/health/ready", timeout=2).status_code == 200:
                    break
            time.sleep(0.3)
        else:
            raise AssertionError(f"not ready:\n{found.output()}")
        yield found
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)


def test_it_prints_the_emulator_pool_and_client_ids(runner: Runner) -> None:
    output = runner.output()
    assert re.search(r"user pool id: us-east-1_\w+", output), output
    assert re.search(r"app client id: \w{10,}", output), output


def test_x_forwarded_for_from_loopback_does_not_dodge_the_rate_limit(runner: Runner) -> None:
    """TRUSTED_PROXY_HOPS is 0 here: each request comes from 127.0.0.1 whatever it claims, so a
    fresh X-Forwarded-For per request does not buy a fresh budget (uvicorn's own proxy-header
    handling, on by default in reload mode, would trust 127.0.0.1 and allow exactly that)."""
    key = {"X-API-KEY": DEVELOPMENT_DEFAULTS["API_KEY"]}
    codes = [
        httpx.get(
            runner.url + "/api/system-info", headers={**key, "X-Forwarded-For": f"198.51.100.{n}"}
        ).status_code
        for n in range(1, 6)
    ]
    assert codes[:3] == [200, 200, 200]
    assert codes[3:] == [429, 429], codes


def test_resend_confirmation_code_works_locally(runner: Runner) -> None:
    key = {"X-API-KEY": DEVELOPMENT_DEFAULTS["API_KEY"]}
    email = "resend-local@example.com"
    password = "Correct-Horse-9"
    registration = {"email": email, "password": password, "confirmPassword": password}
    assert httpx.post(runner.url + "/api/auth/register", json=registration, headers=key).status_code == 201
    resent = httpx.post(runner.url + "/api/auth/resend-confirmation-code", json={"email": email}, headers=key)
    assert resent.status_code == 200, resent.text
