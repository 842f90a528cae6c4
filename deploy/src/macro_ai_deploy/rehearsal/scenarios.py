"""The scenarios. Each starts from the same state (two legacy, two ECS instances, 100 % legacy), runs under
load and states its promises; a broken promise fails the rehearsal."""

from __future__ import annotations

import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from macro_ai_deploy.rehearsal.analysis import between, failure_cause, summarize
from macro_ai_deploy.rehearsal.checker import check_writes
from macro_ai_deploy.rehearsal.fleets import Fault
from macro_ai_deploy.rehearsal.harness import Load, ScenarioResult, Settings, operator, read_events
from macro_ai_deploy.rehearsal.stage import Stage
from macro_ai_deploy.rollout.model import Weights

WARM_UP = 2.0
NEXT_IMAGE_SUFFIX = "-next"


def _common(result: ScenarioResult, stage: Stage, load: Load, *, no_failures: bool = True) -> None:
    result.records = load.records
    s = summarize(load.records)
    result.figures["offered rate"] = f"{s.rate:.0f} requests/s ({s.requests} requests in {s.duration:.0f} s)"
    if no_failures:
        result.promise("no failed request", s.failed == 0, f"{s.failed} failed of {s.requests}")
        result.promise("no stream cut", s.cut_streams == 0, f"{s.cut_streams} cut of {s.streams} streams")
    result.writes = check_writes(stage.database_url, load.records, load.setup_titles)
    w = result.writes
    result.promise(
        "no acknowledged write lost",
        w.lost == 0 and not w.missing,
        f"{w.found} of {w.acknowledged} acknowledged writes found",
    )


def _final_weights(result: ScenarioResult, stage: Stage, expected: Weights) -> None:
    live = stage.router.get_weights()
    result.promise(f"listener ends at {expected}", live == expected, f"live: {live}")


def _drains(result: ScenarioResult, stage: Stage) -> None:
    cut = sum(d.cut_sessions for d in stage.drains)
    waited = ", ".join(f"{d.server} {d.waited_seconds:.1f} s" for d in stage.drains) or "none"
    result.promise(
        "drains finished within the deregistration delay",
        cut == 0,
        f"{cut} session(s) still open at the end of the delay; drains: {waited}",
    )


def migrate(stage: Stage, settings: Settings, result: ScenarioResult) -> None:
    stage.reset()
    events = stage.folder / "migrate-events.jsonl"
    with Load(stage, settings, "migrate") as load:
        result.start = load.t0
        time.sleep(WARM_UP)
        code = operator(stage, settings, events).wait()
        result.events = read_events(events)
        result.promise("rollout completed", code == 0, f"operator exit code {code}")
        if code == 0:
            threads = [
                threading.Thread(target=stage.retire, args=("legacy", m))
                for m in list(stage.members["legacy"])
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        time.sleep(WARM_UP)
        result.end = time.monotonic()
    _common(result, stage, load)
    _final_weights(result, stage, Weights.to_ecs(100))
    _drains(result, stage)
    result.promise(
        "legacy fleet stopped", not stage.members["legacy"], f"{len(stage.members['legacy'])} left"
    )


def bad_release(stage: Stage, settings: Settings, result: ScenarioResult) -> None:
    stage.reset(ecs_fault=Fault(error_percent=settings.fault_percent))
    events = stage.folder / "bad-release-events.jsonl"
    with Load(stage, settings, "bad-release") as load:
        result.start = load.t0
        time.sleep(WARM_UP)
        code = operator(stage, settings, events).wait()
        time.sleep(WARM_UP)
        result.end = time.monotonic()
    result.events = read_events(events)
    _common(result, stage, load, no_failures=False)
    result.promise("rolled back by itself", code == 20, f"operator exit code {code} (20 = rolled back)")
    _final_weights(result, stage, Weights.all_legacy())
    faults = sorted(r.due + r.latency for r in load.records if r.fleet == "ecs" and failure_cause(r))
    back = [
        e["mono"] for e in result.events if e["kind"] == "set" and e["weights"] == {"legacy": 100, "ecs": 0}
    ]
    if not faults or not back:
        result.promise("fault detected", False, f"{len(faults)} faulty responses seen; rollback at {back}")
        return
    exposed = [
        e["mono"] for e in result.events if e["kind"] == "set" and (e["weights"] or {}).get("ecs", 0) > 0
    ]
    detection = back[-1] - faults[0]
    exposure = back[-1] - exposed[0] if exposed else detection  # the faulty fleet took traffic this long
    failed = summarize(load.records).failed
    bound = settings.fault_percent / 100 * exposure * settings.rate
    result.figures["detection time"] = f"{detection:.2f} s (first faulty response -> 100 % legacy)"
    result.figures["exposure"] = f"{exposure:.2f} s (first move to ECS -> 100 % legacy)"
    result.figures["failed requests"] = (
        f"{failed} (bound: {settings.fault_percent:g} % x {exposure:.2f} s x {settings.rate:g}/s"
        f" = {bound:.0f})"
    )
    result.promise(
        "back to legacy within one gate interval",
        detection <= settings.interval + 1.0,
        f"{detection:.2f} s, gate interval {settings.interval:g} s (+1 s to read the statistics)",
    )
    result.promise(
        "failed requests within faulty share x exposure x rate", failed <= bound, f"{failed} <= {bound:.0f}"
    )


def _next_image(stage: Stage) -> str | None:
    """A new image for the rolling deployment: the rehearsal image with a new revision label."""
    if stage.options.ecs_mode != "container":
        return None
    tag = stage.options.image + NEXT_IMAGE_SUFFIX
    docker = shutil.which("docker") or "docker"
    recipe = f"FROM {stage.options.image}\nLABEL org.opencontainers.image.revision=rehearsal-next\n"
    done = subprocess.run(  # noqa: S603 - our docker, our recipe
        [docker, "build", "-t", tag, "-"],
        input=recipe,
        text=True,
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"building {tag} failed: {done.stderr.strip()[-300:]}")
    return tag


def rolling_deploy(stage: Stage, settings: Settings, result: ScenarioResult) -> None:
    stage.reset()
    image = _next_image(stage)
    stage.router.set_weights(Weights.to_ecs(100))
    stage.note("listener set to 100 % ECS (a completed migration)")
    with Load(stage, settings, "rolling-deploy") as load:
        result.start = load.t0
        time.sleep(WARM_UP)
        for old in list(stage.members["ecs"]):
            stage.launch("ecs", image=image)  # minimum healthy 100 %: the new task is healthy first
            stage.retire("ecs", old)
        time.sleep(WARM_UP)
        result.end = time.monotonic()
    _common(result, stage, load)
    _drains(result, stage)
    new = [m for m in stage.members["ecs"] if image is None or m.image == image]
    result.promise(
        "ECS runs the new revision only",
        len(new) == len(stage.members["ecs"]) == 2,
        f"{len(new)} of {len(stage.members['ecs'])} on {image or 'the new process'}",
    )


def _readiness(stage: Stage, stop: threading.Event, seen: dict[str, list[tuple[float, int]]]) -> None:
    path = stage.contract.readiness_path
    while not stop.is_set():
        for fleet in ("legacy", "ecs"):
            for m in list(stage.members[fleet]):
                try:
                    code = httpx.get(f"http://127.0.0.1:{m.instance.port}{path}", timeout=2).status_code
                except httpx.HTTPError:
                    code = 0
                seen.setdefault(m.instance.name, []).append((time.monotonic(), code))
        time.sleep(0.25)


def db_restart(stage: Stage, settings: Settings, result: ScenarioResult) -> None:
    stage.reset()
    stage.router.set_weights(Weights(50, 50))
    stage.note("listener set to 50/50: both fleets share the database")
    seen: dict[str, list[tuple[float, int]]] = {}
    stop = threading.Event()
    watcher = threading.Thread(target=_readiness, args=(stage, stop, seen), daemon=True)
    with Load(stage, settings, "db-restart") as load:
        result.start = load.t0
        watcher.start()
        time.sleep(WARM_UP + 1)
        stage.note("PostgreSQL stopped")
        stopped_at = time.monotonic()
        stage.postgres.stop()
        time.sleep(settings.db_outage_seconds)
        stage.postgres.restart_stopped()
        restarted_at = time.monotonic()
        stage.note("PostgreSQL started again")
        deadline = restarted_at + 30
        while time.monotonic() < deadline and not all(v and v[-1][1] == 200 for v in seen.values()):
            time.sleep(0.25)
        recovered_at = time.monotonic()
        time.sleep(WARM_UP + 3)
        stop.set()
        result.end = time.monotonic()
    watcher.join(5)
    _common(result, stage, load, no_failures=False)
    flipped = [n for n, v in seen.items() if any(c != 200 and stopped_at <= t for t, c in v)]
    recovered = [n for n, v in seen.items() if v and v[-1][1] == 200]
    result.promise(
        "readiness turned 503 during the outage", bool(flipped), f"{len(flipped)} of {len(seen)} instances"
    )
    result.promise(
        "every instance ready again by itself",
        len(recovered) == len(seen),
        f"{len(recovered)} of {len(seen)} ready {recovered_at - restarted_at:.1f} s after the restart",
    )
    after = between(load.records, recovered_at + 2, result.end)
    failed_after = sum(1 for r in after if failure_cause(r))
    result.promise("no failed request after recovery", failed_after == 0, f"{failed_after} of {len(after)}")
    during = summarize(between(load.records, stopped_at, recovered_at))
    result.figures["failed during the outage"] = (
        f"{during.failed} of {during.requests} (expected: the database was down)"
    )


def operator_killed(stage: Stage, settings: Settings, result: ScenarioResult) -> None:
    stage.reset()
    events = stage.folder / "operator-killed-events.jsonl"
    kill_at_step = settings.steps[max(0, len(settings.steps) - 3)]  # a step below 100: resume must move
    with Load(stage, settings, "operator-killed") as load:
        result.start = load.t0
        time.sleep(WARM_UP)
        first = operator(stage, settings, events)
        target = {"legacy": 100 - kill_at_step, "ecs": kill_at_step}
        deadline = time.monotonic() + 120
        while first.poll() is None and time.monotonic() < deadline:
            if any(e["kind"] == "set" and e["weights"] == target for e in read_events(events)):
                time.sleep(settings.interval * 1.5)  # mid-bake
                break
            time.sleep(0.1)
        first.send_signal(signal.SIGKILL)
        first.wait()
        held = stage.router.get_weights()
        stage.note(f"operator SIGKILLed at {held}")
        time.sleep(settings.interval * 2)
        still = stage.router.get_weights()
        stage.note("operator started again (resume)")
        code = operator(stage, settings, events).wait()
        time.sleep(WARM_UP)
        result.end = time.monotonic()
    result.events = read_events(events)
    _common(result, stage, load)
    result.promise(
        "traffic held while no operator ran",
        held == still and held.ecs == kill_at_step,
        f"at kill {held}, before resume {still}",
    )
    result.promise("resumed run completed", code == 0, f"operator exit code {code}")
    ok, detail = _gated(result.events, settings.bake)
    result.promise("no gate skipped", ok, detail)


def _gated(events: list[dict[str, Any]], bake: float) -> tuple[bool, str]:
    """Every forward move directly follows a passing gate for exactly those weights; a resumed run
    re-bakes the live weights for a full bake before its first move."""
    starts = [i for i, e in enumerate(events) if e["kind"] == "start"]
    for i, e in enumerate(events):
        if e["kind"] != "set" or e["weights"] == {"legacy": 100, "ecs": 0}:
            continue
        gate = next((g for g in reversed(events[:i]) if g["kind"] == "gate"), None)
        if gate is None or gate["weights"] != e["weights"] or not all(r["ok"] for r in gate["gates"] or []):
            return False, f"move to {e['weights']} not preceded by a passing gate for it"
    if len(starts) < 2:
        return False, f"{len(starts)} operator run(s) recorded, expected 2"
    resumed = events[starts[1] :]
    first_set = next((e for e in resumed if e["kind"] == "set"), None)
    if first_set is None:
        return False, "the resumed run never moved"
    rebake = first_set["mono"] - resumed[0]["mono"]
    if rebake < bake:
        return False, f"the resumed run moved after {rebake:.1f} s, before a full bake of {bake:g} s"
    return (
        True,
        f"{sum(1 for e in events if e['kind'] == 'gate')} gate checks; resumed run re-baked {rebake:.1f} s",
    )


# The default order keeps instances between scenarios where it can: the faulty ECS fleet comes last.
SCENARIOS: dict[str, Callable[[Stage, Settings, ScenarioResult], None]] = {
    "migrate": migrate,
    "rolling-deploy": rolling_deploy,
    "db-restart": db_restart,
    "operator-killed": operator_killed,
    "bad-release": bad_release,
}
