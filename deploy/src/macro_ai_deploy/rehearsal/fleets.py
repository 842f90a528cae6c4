"""The two fleets: instances of the service started the EC2 way (a plain process from an env file, as the
legacy user data does under systemd) or the ECS way (a container of the real image, read-only root
filesystem, stopped with SIGTERM and the stop timeout)."""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import httpx

FAULT_SCRIPT = Path(__file__).with_name("faultserve.py")
CONTAINER_FAULT_SCRIPT = "/opt/rehearsal/faultserve.py"


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines, as systemd's EnvironmentFile and `docker run --env-file` read them."""
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key.strip()] = value
    return values


@dataclass(frozen=True)
class Fault:
    error_percent: float = 0.0
    delay_ms: float = 0.0

    def environment(self) -> dict[str, str]:
        return {
            "REHEARSAL_FAULT_ERROR_PERCENT": str(self.error_percent),
            "REHEARSAL_FAULT_DELAY_MS": str(self.delay_ms),
        }


class Instance(Protocol):
    name: str
    port: int

    def start(self) -> None: ...

    def stop(self, timeout: float) -> int | None: ...

    def alive(self) -> bool: ...


@dataclass
class ProcessInstance:
    name: str
    port: int
    env_file: Path
    base_env: dict[str, str]
    log_dir: Path
    fault: Fault | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        env = {**self.base_env, **read_env_file(self.env_file), "SERVER_HOST": "127.0.0.1"}
        env["SERVER_PORT"] = str(self.port)
        if self.fault is not None:
            argv = [sys.executable, str(FAULT_SCRIPT)]
            env.update(self.fault.environment())
        else:
            argv = [str(Path(sys.executable).with_name("macro-ai")), "serve"]
        log = (self.log_dir / f"{self.name}.log").open("ab")
        self.process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


@dataclass
class ContainerInstance:
    name: str
    port: int
    env_file: Path
    image: str
    log_dir: Path
    fault: Fault | None = None
    started: bool = False

    def start(self) -> None:
        docker = shutil.which("docker") or "docker"
        subprocess.run([docker, "rm", "-f", self.name], capture_output=True, check=False)  # noqa: S603
        argv = [
            docker,
            "run",
            "-d",
            "--name",
            self.name,
            "--network",
            "host",
            "--read-only",
            "--tmpfs",
            "/tmp",  # noqa: S108 - a tmpfs inside the container
        ]
        argv += [
            "--env-file",
            str(self.env_file),
            "-e",
            "SERVER_HOST=127.0.0.1",
            "-e",
            f"SERVER_PORT={self.port}",
        ]
        tail = [self.image, "serve"]
        if self.fault is not None:
            for key, value in self.fault.environment().items():
                argv += ["-e", f"{key}={value}"]
            argv += ["-v", f"{FAULT_SCRIPT}:{CONTAINER_FAULT_SCRIPT}:ro", "--entrypoint", "python"]
            tail = [self.image, CONTAINER_FAULT_SCRIPT]
        done = subprocess.run(argv + tail, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            raise RuntimeError(f"docker run {self.name} failed: {done.stderr.strip()[-400:]}")
        self.started = True

    def alive(self) -> bool:
        docker = shutil.which("docker") or "docker"
        done = subprocess.run(  # noqa: S603
            [docker, "inspect", "-f", "{{.State.Running}}", self.name],
            capture_output=True,
            text=True,
            check=False,
        )
        return done.stdout.strip() == "true"

    def stop(self, timeout: float) -> int | None:
        if not self.started:
            return None
        docker = shutil.which("docker") or "docker"
        subprocess.run(  # noqa: S603
            [docker, "stop", "-t", str(int(timeout)), self.name],
            capture_output=True,
            check=False,
            timeout=timeout + 30,
        )
        code = subprocess.run(  # noqa: S603
            [docker, "inspect", "-f", "{{.State.ExitCode}}", self.name],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        logs = subprocess.run([docker, "logs", self.name], capture_output=True, check=False)  # noqa: S603
        (self.log_dir / f"{self.name}.log").write_bytes(logs.stdout + logs.stderr)
        subprocess.run([docker, "rm", "-f", self.name], capture_output=True, check=False)  # noqa: S603
        self.started = False
        return int(code) if code.lstrip("-").isdigit() else None


class InstanceExitedError(RuntimeError):
    pass


def wait_live(instance: Instance, path: str, timeout: float) -> float:
    started = time.monotonic()
    url = f"http://127.0.0.1:{instance.port}{path}"
    while time.monotonic() - started < timeout:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code == 200:
                return time.monotonic() - started
        if not instance.alive():
            raise InstanceExitedError(
                f"{instance.name} exited while starting (see its log in the run folder)"
            )
        time.sleep(0.2)
    raise RuntimeError(f"{instance.name} did not answer {path} within {timeout:.0f} s")
