"""What every scenario uses: the load process, the operator process, promises and the result record."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from macro_ai_deploy.rehearsal.checker import WriteCheck
from macro_ai_deploy.rehearsal.load import Record, load_records
from macro_ai_deploy.rehearsal.stage import API_KEY, Stage


@dataclass(frozen=True)
class Settings:
    rate: float = 200.0
    users: int = 40
    steps: tuple[int, ...] = (10, 25, 50, 100)
    bake: float = 8.0
    interval: float = 2.0
    error_rate_percent: float = 5.0  # from the infra profile's alarms
    response_seconds: float = 3.0
    min_healthy: int = 2
    fault_percent: float = 30.0
    db_outage_seconds: float = 5.0


@dataclass(frozen=True)
class Promise:
    name: str
    ok: bool
    detail: str


@dataclass
class ScenarioResult:
    name: str
    records: list[Record] = field(default_factory=list)
    start: float = 0.0
    end: float = 0.0
    promises: list[Promise] = field(default_factory=list)
    figures: dict[str, str] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    notes: list[tuple[float, str]] = field(default_factory=list)
    writes: WriteCheck | None = None
    error: str = ""

    def promise(self, name: str, ok: bool, detail: str) -> None:
        self.promises.append(Promise(name, ok, detail))

    @property
    def ok(self) -> bool:
        return not self.error and all(p.ok for p in self.promises)


class Load:
    """The load generator as a child process, for the duration of a `with` block."""

    def __init__(self, stage: Stage, settings: Settings, name: str) -> None:
        self.stage, self.settings = stage, settings
        self.out = stage.folder / f"{name}-requests.jsonl"
        self.ready = stage.folder / f"{name}-load-ready.json"
        self.process: subprocess.Popen[str] | None = None
        self.t0 = 0.0
        self.setup_titles: dict[str, str] = {}
        self.records: list[Record] = []

    def __enter__(self) -> Load:
        self.ready.unlink(missing_ok=True)
        argv = [sys.executable, "-m", "macro_ai_deploy.rehearsal.load", "--url", self.stage.haproxy.url]
        argv += ["--rate", str(self.settings.rate), "--users", str(self.settings.users)]
        argv += ["--out", str(self.out), "--ready-file", str(self.ready)]
        log = (self.stage.logs / f"{self.out.stem}-load.log").open("w")
        self.process = subprocess.Popen(  # noqa: S603
            argv, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT, text=True
        )
        assert self.process.stdin is not None
        self.process.stdin.write(API_KEY + "\n")
        self.process.stdin.close()
        deadline = time.monotonic() + 60
        while not self.ready.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the load generator did not start (see its log in the run folder)")
            time.sleep(0.1)
        data = json.loads(self.ready.read_text())
        self.t0, self.setup_titles = float(data["t0"]), dict(data["setup_titles"])
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(120)  # in-flight requests get up to 90 s to finish
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.out.exists():
            self.records = load_records(self.out)


def operator(
    stage: Stage, settings: Settings, events: Path, steps: tuple[int, ...] | None = None
) -> subprocess.Popen[bytes]:
    argv = [
        sys.executable,
        "-m",
        "macro_ai_deploy.rehearsal.operator_run",
        "--socket",
        str(stage.haproxy.socket_path),
    ]
    argv += [
        "--acl",
        str(stage.haproxy.acl_file),
        "--steps",
        ",".join(str(s) for s in steps or settings.steps),
    ]
    argv += ["--bake", str(settings.bake), "--interval", str(settings.interval)]
    argv += ["--min-healthy", str(settings.min_healthy), "--error-rate", str(settings.error_rate_percent)]
    argv += ["--response-seconds", str(settings.response_seconds), "--events", str(events)]
    argv += ["--store", str(stage.folder / "weight-parameters.json")]
    log = (stage.logs / f"{events.stem}-operator.log").open("a")
    return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603


def read_events(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
