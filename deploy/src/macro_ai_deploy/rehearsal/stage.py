"""The stage: PostgreSQL, the Cognito emulator, HAProxy and the two fleets on this machine.

Targets are registered and deregistered the way ECS and the ALB do it: a new instance must be live and then
pass the balancer's health check before it counts; a leaving one is drained first (deregistration delay)
and only then sent SIGTERM with the stop timeout.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from macro_ai_contract import ServiceContract

from macro_ai_deploy.rehearsal.fleets import (
    ContainerInstance,
    Fault,
    Instance,
    InstanceExitedError,
    ProcessInstance,
    wait_live,
)
from macro_ai_deploy.rehearsal.haproxy import Haproxy
from macro_ai_deploy.rehearsal.router import HaproxyRouter
from macro_ai_deploy.rehearsal.targets import DrainResult, Targets
from macro_ai_deploy.rollout.model import Weights

# Local placeholders, printed nowhere: the rehearsal's own throwaway configuration.
API_KEY = "rehearsal-api-key-" + "r" * 32
GENEROUS = {f"{p}RATE_LIMIT_MAX_REQUESTS": "100000000" for p in ("", "AUTH_", "API_")}
START_TIMEOUT = 60.0


@dataclass(frozen=True)
class StageOptions:
    folder: Path
    ecs_mode: str = "container"  # container | process
    image: str = "macro-ai-api:rehearsal"
    stream_seconds: float = 4.0
    deregistration_delay: float = 30.0
    reply_words: int = 16


@dataclass
class Member:
    slot: str
    instance: Instance
    image: str = ""
    fault: Fault | None = None


@dataclass
class Sample:
    at: float
    weights: Weights | None
    healthy: dict[str, int]


@dataclass
class Stage:
    options: StageOptions
    contract: ServiceContract
    members: dict[str, list[Member]] = field(default_factory=lambda: {"legacy": [], "ecs": []})
    timeline: list[tuple[float, str]] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    drains: list[DrainResult] = field(default_factory=list)

    def __post_init__(self) -> None:
        from macro_ai_devstack.testing import free_port

        self.free_port = free_port
        self.folder = self.options.folder
        self.logs = self.folder / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.env_file = self.folder / "macro-ai-api.env"
        self.haproxy = Haproxy(self.contract, self.folder / "haproxy", free_port())
        self.router = HaproxyRouter(self.haproxy.api, str(self.haproxy.acl_file))
        self.targets = Targets(self.haproxy.api)
        self._pg_root = Path(tempfile.mkdtemp(prefix="macro-ai-rehearsal-pg-"))
        self.postgres: Any = None
        self.emulator: Any = None
        self.database_url = ""
        self._sampling = threading.Event()
        self._sampler: threading.Thread | None = None
        self._counter = 0
        self._registering = threading.Lock()

    def note(self, text: str) -> None:
        self.timeline.append((time.monotonic(), text))

    # ---- infrastructure
    def start(self) -> None:
        from macro_ai_devstack.cognito import create_pool, start_emulator
        from macro_ai_devstack.postgres import LocalPostgres

        # fsync off: the rehearsal is about the service and the cutover, not the disk (RDS is durable);
        # a clean stop (db-restart) still writes every committed transaction
        self.postgres = LocalPostgres(self._pg_root / "data", self.free_port(), durable=False)
        self.database_url = self.postgres.start()
        port = self.free_port()
        self.emulator = start_emulator(port)
        pool = create_pool(f"http://127.0.0.1:{port}")
        delay_ms = int(1000 * self.options.stream_seconds / self.options.reply_words)
        env = {
            "APP_ENV": "test",
            "API_KEY": API_KEY,
            "COOKIE_ENCRYPTION_KEY": "00" * 32,
            "COOKIE_DOMAIN": "localhost",
            "AI_PROVIDER": "offline",
            "OFFLINE_PROVIDER_DELAY_MS": str(delay_ms),
            "LOG_LEVEL": "warning",
            "TRUSTED_PROXY_HOPS": "1",
            "SHUTDOWN_DRAIN_SECONDS": str(self.contract.drain_seconds),
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",  # the emulator accepts any credentials
            **GENEROUS,
            **pool.environment(),
            "RELATIONAL_DATABASE_URL": self.database_url,
        }
        self.env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
        self.env_file.chmod(0o644)  # read by the container's user; throwaway local values only
        from macro_ai_devstack.testing import base_environment

        migrate = subprocess.run(  # noqa: S603
            [str(Path(sys.executable).with_name("macro-ai")), "db", "upgrade"],
            env={**base_environment(), **env},
            capture_output=True,
            text=True,
            check=False,
        )
        if migrate.returncode != 0:
            raise RuntimeError(f"database migrations failed: {migrate.stderr.strip()[-400:]}")
        self.haproxy.start()
        self._sampling.set()
        self._sampler = threading.Thread(target=self._sample, name="rehearsal-sampler", daemon=True)
        self._sampler.start()

    def _sample(self) -> None:
        while self._sampling.is_set():
            with contextlib.suppress(Exception):
                weights: Weights | None = self.router.get_weights()
                healthy = {f: self.targets.healthy(f) for f in ("legacy", "ecs")}
                self.samples.append(Sample(time.monotonic(), weights, healthy))
            time.sleep(0.25)

    def stop(self) -> None:
        self._sampling.clear()
        for fleet in ("legacy", "ecs"):
            for m in self.members[fleet]:
                with contextlib.suppress(Exception):
                    m.instance.stop(5)
            self.members[fleet].clear()
        self.haproxy.stop()
        if self.emulator is not None:
            self.emulator.stop()
        if self.postgres is not None:
            self.postgres.destroy()
        shutil.rmtree(self._pg_root, ignore_errors=True)

    # ---- fleets
    def _instance(self, fleet: str, fault: Fault | None, image: str | None) -> Instance:
        from macro_ai_devstack.testing import base_environment

        with self._registering:
            self._counter += 1
        name, port = f"rehearsal-{fleet}-{self._counter}-{self.folder.name}", self.free_port()
        if fleet == "ecs" and self.options.ecs_mode == "container":
            return ContainerInstance(name, port, self.env_file, image or self.options.image, self.logs, fault)
        return ProcessInstance(name, port, self.env_file, base_environment(), self.logs, fault)

    def launch(self, fleet: str, fault: Fault | None = None, image: str | None = None) -> Member:
        """Start an instance, wait until it is live, register it and wait for the health check to pass."""
        for attempt in range(3):
            instance = self._instance(fleet, fault, image)
            instance.start()
            try:
                wait_live(instance, self.contract.liveness_path, START_TIMEOUT)
                break
            except InstanceExitedError:
                # a free port can be taken by another program between choosing and binding it
                instance.stop(5)
                if attempt == 2:
                    raise
        with self._registering:  # one free slot per instance
            slot = self.targets.register(fleet, instance.port)
        self.targets.wait_healthy(fleet, slot, START_TIMEOUT)
        member = Member(slot, instance, image or (self.options.image if fleet == "ecs" else ""), fault)
        self.members[fleet].append(member)
        self.note(f"{fleet}/{slot} registered ({instance.name}{', FAULTY' if fault else ''})")
        return member

    def retire(self, fleet: str, member: Member, delay: float | None = None) -> DrainResult:
        """Deregister (drain for at most the deregistration delay), then SIGTERM with the stop timeout."""
        self.note(f"{fleet}/{member.slot} draining")
        result = self.targets.deregister(
            fleet, member.slot, self.options.deregistration_delay if delay is None else delay
        )
        self.drains.append(result)
        member.instance.stop(self.contract.stop_timeout_seconds)
        self.members[fleet].remove(member)
        cut = f", {result.cut_sessions} session(s) cut" if result.cut_sessions else ""
        self.note(f"{fleet}/{member.slot} stopped after {result.waited_seconds:.1f} s of drain{cut}")
        return result

    def reset(self, ecs_fault: Fault | None = None) -> None:
        """Two healthy legacy instances, two ECS instances (faulty if asked), 100 % legacy.

        Instances that already fit are kept; missing ones start in parallel (setup, not under load)."""
        self.router.set_weights(Weights.all_legacy())
        for m in list(self.members["ecs"]):
            if m.fault != ecs_fault:
                self.retire("ecs", m, delay=0)
        self.drains.clear()
        errors: list[Exception] = []

        def launch(fleet: str, fault: Fault | None) -> None:
            try:
                self.launch(fleet, fault)
            except Exception as exc:  # reported below, once every launch is done
                errors.append(exc)

        jobs: list[tuple[str, Fault | None]] = [("legacy", None)] * (2 - len(self.members["legacy"]))
        jobs += [("ecs", ecs_fault)] * (2 - len(self.members["ecs"]))
        threads = [threading.Thread(target=launch, args=job) for job in jobs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise RuntimeError(f"the fleets did not come up: {errors[0]} (logs: {self.logs})")
