"""The cutover rehearsal: HAProxy as the ALB (config, router port, gates) and short runs of the scenarios.

The short runs use plain processes for both fleets (containers would take minutes per run on CI machines);
`macro-deploy rehearse` itself runs the ECS fleet as containers of the real image.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from macro_ai_contract import load_contract
from macro_ai_deploy.rehearsal.gates import HaproxyGates, Thresholds
from macro_ai_deploy.rehearsal.haproxy import Haproxy, StatRow, parse_stat, render_config
from macro_ai_deploy.rehearsal.harness import Settings
from macro_ai_deploy.rehearsal.router import HaproxyRouter
from macro_ai_deploy.rehearsal.run import profile_facts, rehearse, run_folder
from macro_ai_deploy.rehearsal.stage import StageOptions
from macro_ai_deploy.rollout import Weights
from macro_ai_devstack.testing import free_port

needs_haproxy = pytest.mark.skipif(
    shutil.which("haproxy") is None and not Path("/usr/sbin/haproxy").exists(),
    reason="haproxy is not installed (make test-deps installs it)",
)


def test_config_follows_the_contract(tmp_path: Path) -> None:
    c = load_contract()
    text = render_config(c, 8080, tmp_path / "s.sock", tmp_path / "a.acl")
    assert f"uri {c.load_balancer_check_path}" in text
    assert (
        f"inter {c.health_check_interval_seconds}s fall {c.unhealthy_threshold} rise {c.healthy_threshold}"
        in text
    )
    assert f"timeout client {c.load_balancer_idle_timeout_seconds}s" in text
    assert f"timeout check {c.health_check_timeout_seconds}s" in text
    assert "http-reuse safe" in text
    assert "retries 0" in text  # the ALB does not retry on another target


def test_stat_csv_is_read_per_backend_and_server() -> None:
    csv = (
        "# pxname,svname,scur,status,req_tot,hrsp_5xx,rtime,stot\n"
        "ecs,ecs1,3,UP,100,7,12,100\n"
        "ecs,BACKEND,3,UP,250,9,15,250\n"
    )
    rows = parse_stat(csv)
    assert [(r.server, r.current_sessions, r.requests, r.responses_5xx, r.response_ms) for r in rows] == [
        ("ecs1", 3, 100, 7, 12),
        ("BACKEND", 3, 250, 9, 15),
    ]


@needs_haproxy
def test_router_sets_and_reads_weights_through_the_runtime_api(tmp_path: Path) -> None:
    haproxy = Haproxy(load_contract(), tmp_path / "lb", free_port())
    haproxy.start()
    try:
        router = HaproxyRouter(haproxy.api, str(haproxy.acl_file))
        assert router.get_weights() == Weights.all_legacy()
        for percent in (10, 25, 50, 100, 0):
            router.set_weights(Weights.to_ecs(percent))
            assert router.get_weights() == Weights.to_ecs(percent)
        gates = HaproxyGates(haproxy.api, Thresholds(5.0, 3.0, 2))
        report = gates.check(Weights.to_ecs(10))
        # no ECS server registered: the healthy-count gate fails and may be waited for, not the rest
        assert not report.ok
        assert [r.name for r in report.failures] == ["legacy healthy", "ecs healthy"]
        assert next(r for r in report.failures if r.name == "ecs healthy").waitable
    finally:
        haproxy.stop()


def _short(tmp_path: Path, **overrides: float) -> tuple[Settings, StageOptions]:
    settings = Settings(rate=60, users=6, steps=(50, 100), bake=4, interval=2, fault_percent=30)
    options = StageOptions(
        folder=run_folder(tmp_path / "runs"),
        ecs_mode="process",
        stream_seconds=overrides.get("stream_seconds", 3.0),
        deregistration_delay=overrides.get("deregistration_delay", 30.0),
    )
    return settings, options


@needs_haproxy
@pytest.mark.slow
@pytest.mark.timeout(400)
def test_short_migrate_and_bad_release_keep_their_promises(tmp_path: Path) -> None:
    settings, options = _short(tmp_path)
    run = rehearse(("migrate", "bad-release"), settings, options, profile_facts("hobby"), say=print)
    report = run.report.read_text()
    assert run.ok, report
    migrate, bad = run.results
    assert {p.name for p in migrate.promises} >= {"no failed request", "no stream cut", "rollout completed"}
    assert migrate.writes is not None
    assert migrate.writes.acknowledged > 0
    assert "detection time" in bad.figures
    assert "failed requests" in bad.figures
    assert (run.folder / "timeline.png").stat().st_size > 0


@needs_haproxy
@pytest.mark.slow
@pytest.mark.timeout(400)
def test_a_drain_shorter_than_the_streams_fails_the_rehearsal(tmp_path: Path) -> None:
    # streams of 4 s, but deregistration gives in-flight requests only 0.5 s: the balancer cuts them
    settings, options = _short(tmp_path, stream_seconds=4.0, deregistration_delay=0.5)
    run = rehearse(("rolling-deploy",), settings, options, profile_facts("hobby"), say=print)
    assert not run.ok
    broken = {p.name for p in run.results[0].promises if not p.ok}
    assert "drains finished within the deregistration delay" in broken
    assert "no stream cut" in broken
    assert "FAILED" in run.report.read_text()


class ScriptedStats:
    """HAProxy's `show stat` as a sequence of (ecs requests, ecs 5xx) counters; one server up per fleet."""

    def __init__(self, counters: list[tuple[int, int]]) -> None:
        self.counters = counters

    def stats(self) -> list[StatRow]:
        requests, errors = self.counters.pop(0) if len(self.counters) > 1 else self.counters[0]
        return [
            StatRow("legacy", "legacy1", "UP", 0, 0, 0, 10),
            StatRow("legacy", "BACKEND", "UP", 0, 0, 0, 10),
            StatRow("ecs", "ecs1", "UP", 0, requests, errors, 10),
            StatRow("ecs", "ecs2", "UP", 0, 0, 0, 10),
            StatRow("ecs", "BACKEND", "UP", 0, requests, errors, 10),
        ]


def test_gate_judges_5xx_per_window_and_waits_for_enough_requests() -> None:
    # baseline 0; then 6 requests with 3 errors (too few: no verdict), then 12 in all with 3 errors: 25 %
    stats = ScriptedStats([(0, 0), (6, 3), (12, 3), (112, 3)])
    gates = HaproxyGates(stats, Thresholds(5.0, 3.0, 2))  # type: ignore[arg-type]
    assert gates.check(Weights.to_ecs(10)).ok
    tripped = gates.check(Weights.to_ecs(10))
    assert [r.name for r in tripped.failures] == ["ecs 5xx"]
    assert "25.0 % of 12 requests" in tripped.failures[0].detail
    assert gates.check(Weights.to_ecs(10)).ok  # a new window: 0 errors in 100 requests
