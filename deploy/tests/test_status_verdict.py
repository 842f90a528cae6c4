"""The status verdict as a plain function of the report: what an on-call engineer must act on comes first."""

from __future__ import annotations

from macro_ai_deploy.status_report import Fleet, Gate, Report, verdict
from macro_ai_deploy.views_status import render


def report(**changes) -> Report:
    base = Report(
        env="production",
        stack="MacroAiProductionStack",
        stack_status="UPDATE_COMPLETE",
        image_tag="abc123",
        revision="macro-ai-api-production:42",
        desired=2,
        running=2,
        pending=0,
        deployments=[{"status": "PRIMARY", "rolloutState": "COMPLETED", "revision": "x:42"}],
        fleets=[Fleet("ecs", 100, {"healthy": 2}), Fleet("legacy", 0, {"healthy": 2})],
        stored_weights=(0, 100),
        gates=[Gate("alarms", True, "3 alarm(s) OK")],
    )
    for k, v in changes.items():
        setattr(base, k, v)
    return base


def test_ok_when_steady():
    ok, line = verdict(report())
    assert ok
    assert line.startswith(
        "OK: macro-ai-api-production:42 (abc123) steady, 2/2 tasks; 100 % of traffic on ECS"
    )


def test_the_safety_net_comes_first():
    ok, line = verdict(report(safety_net={"reason": "api-5xx ALARM"}, gates=[Gate("alarms", False, "x")]))
    assert not ok
    assert line == "REVERTED by the AWS-side safety net: api-5xx ALARM"


def test_a_failing_gate_then_a_stale_run_then_a_split_without_a_run():
    assert verdict(report(gates=[Gate("alarms", False, "api-5xx is ALARM")]))[1].startswith("GATE FAILING")
    held = report(run="run 1234 by alice, at 25% ECS", run_held=True)
    assert verdict(held)[1].startswith("HELD: run 1234")
    stale = report(run="run 1234 by alice, heartbeat 600s ago (STALE)", run_live=False)
    assert verdict(stale)[1].startswith("STUCK: run 1234")
    split = report(fleets=[Fleet("ecs", 25, {"healthy": 2}), Fleet("legacy", 75, {"healthy": 2})])
    assert verdict(split) == (False, "STUCK: traffic split at 25 % ECS and no migration is running")
    running = report(
        fleets=[Fleet("ecs", 25, {"healthy": 2}), Fleet("legacy", 75, {"healthy": 2})],
        run="run 1",
        run_live=True,
    )
    assert verdict(running) == (True, "MIGRATING: run 1")


def test_a_failed_deployment():
    r = report(deployments=[{"status": "PRIMARY", "rolloutState": "FAILED"}])
    assert verdict(r)[1].startswith("DEPLOY FAILED")


def test_render_fits_80_columns_even_with_long_details():
    r = report(gates=[Gate("alarms", False, "a-very-long-alarm-name-" * 8)], notes=["n " * 100])
    r.ok, r.verdict = verdict(r)
    assert all(len(t.plain) <= 80 for t in render(r))
