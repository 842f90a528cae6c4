"""Harness pieces shared by the test suites: free ports, the AWS emulator, the server as a child process."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """The AWS emulator (moto) on a free loopback port, for as long as the block runs: its endpoint URL."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per emulated call
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def macro_ai_executable() -> str:
    return str(Path(sys.executable).with_name("macro-ai"))


class ServerProcess:
    """``macro-ai serve`` on a free loopback port, its output captured to a file."""

    def __init__(self, environment: Mapping[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.environment = {**environment, "SERVER_HOST": "127.0.0.1", "SERVER_PORT": str(self.port)}
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait_path: str = "/api/health/live", timeout: float = 30) -> ServerProcess:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603
                [macro_ai_executable(), "serve"],
                env=dict(self.environment),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.output()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(self.url + wait_path, timeout=1).status_code == 200:
                    return self
            time.sleep(0.05)
        raise TimeoutError(f"server not up within {timeout}s:\n{self.output()}")

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def signal(self, signum: int = signal.SIGTERM) -> None:
        assert self.process is not None
        self.process.send_signal(signum)

    def wait(self, timeout: float) -> int:
        assert self.process is not None
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        # SIGINT, not SIGTERM: SIGTERM keeps the server accepting for a load balancer's detection time
        # (seconds, from the contract) before it drains; tests that mean SIGTERM send it themselves.
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextlib.contextmanager
def running_server(environment: Mapping[str, str], log_path: Path) -> Iterator[ServerProcess]:
    server = ServerProcess(environment, log_path)
    try:
        yield server.start()
    finally:
        server.stop()


def base_environment() -> dict[str, str]:
    """The process environment without anything that would leak into a child's configuration."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "PYTHONDONTWRITEBYTECODE")
    return {key: os.environ[key] for key in keep if key in os.environ}
