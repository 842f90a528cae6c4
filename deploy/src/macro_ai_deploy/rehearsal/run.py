"""One rehearsal: start the stage once, run the chosen scenarios in order, write the report."""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from macro_ai_contract import load_contract

from macro_ai_deploy.rehearsal.harness import ScenarioResult, Settings
from macro_ai_deploy.rehearsal.load import reply_words
from macro_ai_deploy.rehearsal.report import write_report
from macro_ai_deploy.rehearsal.scenarios import SCENARIOS
from macro_ai_deploy.rehearsal.stage import Stage, StageOptions

DEFAULT_ORDER = tuple(SCENARIOS)


@dataclass(frozen=True)
class ProfileFacts:
    """What the rehearsal takes from an infra profile: drain and alarm thresholds."""

    key: str
    deregistration_delay: float
    error_rate_percent: float
    response_seconds: float


def profile_facts(key: str) -> ProfileFacts:
    from macro_ai_contract import load_contract
    from macro_ai_infra.profiles import registered
    from macro_ai_infra.timing import drain_timing

    profiles = registered()
    if key not in profiles:
        raise ValueError(f"unknown profile {key!r}: one of {', '.join(sorted(profiles))}")
    p = profiles[key]
    return ProfileFacts(
        key,
        float(drain_timing(load_contract()).deregistration_delay_seconds),
        p.alarms.target_5xx_rate_percent,
        p.alarms.p99_latency_seconds,
    )


@dataclass
class Rehearsal:
    folder: Path
    results: list[ScenarioResult]
    report: Path
    seconds: float

    @property
    def ok(self) -> bool:
        return bool(self.results) and all(r.ok for r in self.results)


def run_folder(root: Path) -> Path:
    folder = root / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder.mkdir(parents=True, exist_ok=False)
    return folder


def rehearse(
    scenarios: tuple[str, ...],
    settings: Settings,
    options: StageOptions,
    profile: ProfileFacts,
    say: Callable[[str], None] = print,
) -> Rehearsal:
    started = time.monotonic()
    contract = load_contract()
    options = replace(options, reply_words=reply_words())
    settings = replace(
        settings, error_rate_percent=profile.error_rate_percent, response_seconds=profile.response_seconds
    )
    stage = Stage(options, contract)
    results: list[ScenarioResult] = []
    try:
        say(f"starting PostgreSQL, the Cognito emulator and HAProxy in {options.folder}")
        stage.start()
        for name in scenarios:
            say(f"scenario {name}: preparing the fleets ({options.ecs_mode} ECS fleet)")
            result = ScenarioResult(name)
            first_note = len(stage.timeline)
            try:
                SCENARIOS[name](stage, settings, result)
            except Exception as exc:  # a scenario that cannot run is a failed rehearsal, never a traceback
                result.error = f"{type(exc).__name__}: {exc}"
                result.end = result.end or time.monotonic()
            result.notes = [n for n in stage.timeline[first_note:] if result.start <= n[0] <= result.end]
            results.append(result)
            broken = [p.name for p in result.promises if not p.ok]
            say(
                f"scenario {name}: {'passed' if result.ok else 'FAILED'}"
                + (f" ({'; '.join(broken)})" if broken else "")
                + (f" ({result.error})" if result.error else "")
            )
    finally:
        stage.stop()
    header = (
        f"Run {datetime.now(UTC).isoformat(timespec='seconds')} on {platform.node()} ({platform.machine()}); "
        f"profile {profile.key}: deregistration delay {options.deregistration_delay:g} s, 5xx limit "
        f"{settings.error_rate_percent:g} %, response time limit {settings.response_seconds:g} s; "
        f"load {settings.rate:g} requests/s, streams of ~{options.stream_seconds:g} s; ECS fleet as "
        f"{'containers of ' + options.image if options.ecs_mode == 'container' else 'plain processes'}; "
        f"steps {settings.steps}, bake {settings.bake:g} s, gate interval {settings.interval:g} s; "
        f"total {time.monotonic() - started:.0f} s."
    )
    report = write_report(options.folder, results, stage.samples, header)
    return Rehearsal(options.folder, results, report, time.monotonic() - started)
