"""Helpers shared by the container tests: the engine, the contract, configuration for the image."""

# Tests drive `docker`, `git` and the kit's scripts by name from PATH, with arguments they build:
# the same exemptions as the per-package test folders get in pyproject.toml.
# ruff: noqa: S108

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from macro_ai_contract import load_contract

REPO = Path(__file__).resolve().parents[2]
KIT = REPO.parent / "shared" / "container-engine"
CONTRACT: dict[str, Any] = load_contract().raw
PORT: int = CONTRACT["port"]
IMAGE_TAG = "macro-ai-api:container-test"
# What ECS does to the task: read-only root filesystem, no capabilities, no privilege escalation.
HARDENED = ["--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL", "--security-opt", "no-new-privileges"]
API_KEY = "container-test-api-key-0123456789abcdef"
# What `make image` runs: the dependency images (kept by a hash of what they read) when missing, then the app.
BUILD_SCRIPT = "api/build-image.sh"


@dataclass
class Engine:
    """``docker`` with the environment it needs (the kit's, or the caller's for real Docker)."""

    env: dict[str, str]
    kind: str  # "docker" or "kit"
    timings: dict[str, float] = field(default_factory=dict)

    def run(
        self,
        *args: str,
        check: bool = True,
        timeout: float = 120,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        return self.command(["docker", *args], check=check, timeout=timeout, cwd=cwd, env=env)

    def build_image(
        self, checkout: Path, tag: str, *options: str, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """The image as `make image` builds it (api/build-image.sh), from ``checkout``."""
        return self.command(["bash", BUILD_SCRIPT, tag, *options], timeout=900, cwd=checkout, env=env)

    def command(
        self,
        argv: list[str],
        check: bool = True,
        timeout: float = 120,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """``argv`` with the engine's environment (its ``docker`` first on PATH)."""
        result = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=cwd,
            env={**self.env, **(env or {})},
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{' '.join(argv)} exited {result.returncode}\n"
                f"stdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}"
            )
        return result

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            ["docker", *args], env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def health_wait(self, container: str, timeout: int = 60) -> int:
        """Exit status of the kit's ``container-health-wait`` (0 healthy); polled on real Docker."""
        if shutil.which("container-health-wait", path=self.env.get("PATH")):
            return subprocess.run(
                ["container-health-wait", container, str(timeout)],
                env=self.env,
                capture_output=True,
                timeout=timeout + 30,
                check=False,
            ).returncode
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.run(
                "inspect", "--format", "{{.State.Health.Status}}", container, check=False
            ).stdout.strip()
            if status == "healthy":
                return 0
            time.sleep(1)
        return 1

    def host_port(self, container: str, container_port: int) -> int:
        out = self.run("port", container, f"{container_port}/tcp").stdout.strip().splitlines()[0]
        return int(out.rsplit(":", 1)[1])

    def remove(self, *containers: str) -> None:
        for name in containers:
            self.run("rm", "-f", "-v", name, check=False, timeout=60)


def kit_environment() -> dict[str, str]:
    """The variables that the kit's env.sh exports, taken from a bash that sourced it."""
    out = subprocess.run(
        ["bash", "-c", f'. "{KIT}/env.sh" >/dev/null && env -0'],
        capture_output=True,
        timeout=30,
        check=True,
    ).stdout.decode()
    return dict(item.split("=", 1) for item in out.split("\0") if "=" in item)


def docker_works(env: Mapping[str, str]) -> bool:
    if not shutil.which("docker", path=env.get("PATH")):
        return False
    try:
        return (
            subprocess.run(
                ["docker", "info"], env=dict(env), capture_output=True, timeout=30, check=False
            ).returncode
            == 0
        )
    except subprocess.TimeoutExpired:
        return False


def inside_a_container() -> bool:
    """True inside a container the kit (podman) started, such as the fresh-machine check, where it cannot nest
    an engine. Not /.dockerenv: development machines and CI runners are often Docker containers themselves,
    and the kit works there."""
    return Path("/run/.containerenv").exists()


def pinned_uv_image(dockerfile: Path = REPO / "api" / "Dockerfile") -> str:
    match = re.search(r"^FROM (ghcr\.io/astral-sh/uv:\S+) AS uv$", dockerfile.read_text(), re.MULTILINE)
    assert match, "api/Dockerfile names its uv image in a stage called uv"
    return match.group(1)


def setup_kit(extra_env: Mapping[str, str] | None = None) -> None:
    result = subprocess.run(
        ["bash", str(KIT / "setup.sh")],
        capture_output=True,
        text=True,
        timeout=1200,
        env={**os.environ, **(extra_env or {})},
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"container engine kit setup failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")


def git_revision(path: Path) -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=path, capture_output=True, text=True, check=True
    ).stdout.strip()


def package_version() -> str:
    text = (REPO / "api" / "src" / "macro_ai" / "__init__.py").read_text()
    match = re.search(r'__version__ = "([^"]+)"', text)
    assert match
    return match.group(1)


@dataclass(frozen=True)
class BuiltImage:
    tag: str
    version: str
    revision: str
    source: str
    seconds: float


@dataclass(frozen=True)
class Database:
    network: str
    container: str
    password: str
    name: str
    host_port: int

    def url_in_network(self, database: str | None = None) -> str:
        return f"postgresql://postgres:{self.password}@{self.container}:5432/{database or self.name}"

    def url_from_host(self, database: str | None = None) -> str:
        return f"postgresql://postgres:{self.password}@127.0.0.1:{self.host_port}/{database or self.name}"


def service_env(db: Database, database: str | None = None, **overrides: str) -> dict[str, str]:
    """A complete configuration for a deployed-like environment (a preview), env vars only."""
    env = {
        "APP_ENV": "pr-1",
        "API_KEY": API_KEY,
        "COOKIE_ENCRYPTION_KEY": "ab" * 32,
        "AWS_COGNITO_USER_POOL_ID": "us-east-1_containertest",
        "AWS_COGNITO_USER_POOL_CLIENT_ID": "containertestclient",
        "AWS_COGNITO_USER_POOL_SECRET_KEY": "container-test-client-secret",
        "RELATIONAL_DATABASE_URL": db.url_in_network(database),
        "AI_PROVIDER": "offline",
        "SHUTDOWN_DRAIN_SECONDS": str(CONTRACT["shutdown"]["drainSeconds"]),
    }
    return {**env, **overrides}


def env_args(env: Mapping[str, str]) -> list[str]:
    return [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]


@dataclass
class ApiContainer:
    name: str
    url: str
    started_at: float


def wait_for_status(url: str, status: int = 200, timeout: float = 30) -> httpx.Response:
    deadline = time.monotonic() + timeout
    last: httpx.Response | None = None
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            last = httpx.get(url, timeout=2)
            if last.status_code == status:
                return last
        time.sleep(0.05)
    raise AssertionError(f"{url} did not answer {status} within {timeout}s (last: {last and last.text})")
