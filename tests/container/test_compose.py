"""The compose stack, tried as a new developer would: up, sign up, chat, down.

From a clean clone of HEAD: ``docker compose up --wait`` (images built from the clone), then through
the API at localhost: register, confirm (the emulator takes any digits), log in, create a chat,
stream a reply; a code change reloads the server; ``docker compose down -v`` leaves nothing behind.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from container_support import CONTRACT, REPO, Engine, wait_for_status
from macro_ai_devstack.testing import free_port

pytestmark = [pytest.mark.container, pytest.mark.timeout(1200)]


class Stack:
    def __init__(self, engine: Engine, directory: Path) -> None:
        self.engine = engine
        self.directory = directory
        self.project = f"mact{uuid.uuid4().hex[:8]}"
        self.ports = {"API_PORT": free_port(), "POSTGRES_PORT": free_port(), "COGNITO_PORT": free_port()}
        self.url = f"http://localhost:{self.ports['API_PORT']}"
        self.env = {key: str(value) for key, value in self.ports.items()}

    def compose(self, *args: str, check: bool = True, timeout: float = 600) -> str:
        result = self.engine.run(
            "compose", "-p", self.project, *args,
            cwd=self.directory, env=self.env, check=check, timeout=timeout,
        )  # fmt: skip
        return result.stdout + result.stderr

    def container(self, service: str) -> str:
        """A service's container (project-service-1 with Docker, project_service_1 with podman-compose)."""
        names = self.engine.run("ps", "-a", "--format", "{{.Names}}").stdout.split()
        found = [n for n in names if n.startswith(self.project) and service in n.split(self.project, 1)[1]]
        assert len(found) == 1, (service, names)
        return found[0]

    def leftovers(self) -> list[str]:
        left = []
        for kind in ("ps -a", "volume ls", "network ls"):
            out = self.engine.run(*kind.split(), "--format", "{{.Names}}" if kind == "ps -a" else "{{.Name}}")
            left += [f"{kind}: {name}" for name in out.stdout.split() if name.startswith(self.project)]
        return left


@pytest.fixture
def stack(engine: Engine, tmp_path: Path) -> Iterator[Stack]:
    checkout = tmp_path / "macro-ai"  # a clone of its own: the test edits a file in it
    subprocess.run(
        ["git", "clone", "--quiet", "--no-hardlinks", str(REPO), str(checkout)], check=True, timeout=120
    )
    running = Stack(engine, checkout)
    yield running
    running.compose("down", "-v", check=False, timeout=180)


def up(stack: Stack) -> None:
    """``docker compose up --wait``: every service healthy, ``migrate`` run to completion first."""
    result = stack.engine.run(
        "compose", "-p", stack.project, "up", "--build", "--wait", "--wait-timeout", "300",
        cwd=stack.directory, env=stack.env, check=False, timeout=900,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"docker compose up --wait failed:\n{output[-4000:]}"
    # `api` started only after the one-shot `migrate` completed successfully (service_completed_successfully)
    migrate = stack.container("migrate")
    assert stack.engine.run("inspect", "--format", "{{.State.ExitCode}}", migrate).stdout.strip() == "0"
    api = stack.container("api")
    assert stack.engine.run("inspect", "--format", "{{.State.Status}}", api).stdout.strip() == "running"


def test_compose_stack_as_a_new_user(stack: Stack) -> None:
    up(stack)
    ready = wait_for_status(stack.url + CONTRACT["health"]["readiness"], 200, 60)
    assert ready.json()["status"] == "ready"

    # the emulator's deterministic ids are the ones .env.example gives the API
    emulator_log = stack.engine.run("logs", stack.container("cognito"))
    printed = dict(
        line.split("=", 1) for line in (emulator_log.stdout + emulator_log.stderr).splitlines() if "=" in line
    )
    example = dict(
        line.split("=", 1)
        for line in (stack.directory / ".env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    for key in ("AWS_COGNITO_USER_POOL_ID", "AWS_COGNITO_USER_POOL_CLIENT_ID", "AWS_COGNITO_JWKS_URL"):
        assert printed[key] == example[key], key

    client = httpx.Client(base_url=stack.url, headers={"X-API-KEY": example["API_KEY"]}, timeout=30)
    assert client.get("/api/docs").status_code == 200
    email, password = f"new-{uuid.uuid4().hex[:8]}@example.com", "Sup3r-secret-pw"
    registered = client.post(
        "/api/auth/register", json={"email": email, "password": password, "confirmPassword": password}
    )
    assert registered.status_code == 201, registered.text
    confirmed = client.post("/api/auth/confirm-registration", json={"email": email, "code": "123456"})
    assert confirmed.status_code == 200, confirmed.text
    login = client.post("/api/auth/login", json={"email": email, "password": password})
    assert login.status_code == 200, login.text
    token = login.json()["tokens"]["accessToken"]
    client.headers["Authorization"] = f"Bearer {token}"
    chat = client.post("/api/chats", json={"title": "Hello from compose"})
    assert chat.status_code == 201, chat.text
    chat_id = chat.json()["data"]["id"]
    with client.stream(
        "POST", f"/api/chats/{chat_id}/stream", json={"messages": [{"role": "user", "content": "Hi there"}]}
    ) as reply:
        assert reply.status_code == 200
        assert reply.headers["content-type"].startswith("text/plain")
        chunks = [chunk for chunk in reply.iter_text() if chunk]
    assert "".join(chunks).strip(), "a reply was streamed"

    # hot reload: the working tree's code is what runs; a change restarts the server
    api = stack.container("api")
    before = stack.engine.run("logs", api)
    router = stack.directory / "api" / "src" / "macro_ai" / "health" / "router.py"
    router.write_text(router.read_text() + "\n# touched by the compose test\n")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        after = stack.engine.run("logs", api)
        if len(after.stdout + after.stderr) > len(before.stdout + before.stderr) and "Reloading" in (
            after.stdout + after.stderr
        ):
            break
        time.sleep(0.5)
    else:
        pytest.fail("the API did not reload after a code change")
    wait_for_status(stack.url + CONTRACT["health"]["readiness"], 200, 60)

    stack.compose("down", "-v", timeout=180)
    assert stack.leftovers() == [], "docker compose down -v leaves nothing running or stored"
