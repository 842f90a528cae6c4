"""The migrate verbs' plain functions: options -> plan, the default healthy-task floor, step states."""

from __future__ import annotations

import pytest
from macro_ai_deploy.errors import UsageError
from macro_ai_deploy.migration.plan import build_plan, default_min_healthy, parse_steps, step_states
from macro_ai_deploy.rollout import Weights


def test_parse_steps_and_errors():
    assert parse_steps("0, 10,25,100") == (0, 10, 25, 100)
    with pytest.raises(UsageError, match="--steps"):
        parse_steps("10,x")


def test_build_plan_reads_durations_and_rejects_bad_plans():
    p = build_plan("10,50,100", "2m", "15s", 3, "5m")
    assert (p.steps, p.bake_seconds, p.check_interval_seconds, p.min_healthy_tasks) == (
        (10, 50, 100),
        120,
        15,
        3,
    )
    assert p.capacity_timeout_seconds == 300
    with pytest.raises(UsageError, match="--bake"):
        build_plan("10,100", "soon", "15s", 1)
    with pytest.raises(UsageError, match="invalid plan"):
        build_plan("50,10,100", "1m", "15s", 1)


@pytest.mark.parametrize(
    ("scaling_minimum", "desired", "expected"),
    [(1, 4, 1), (2, 1, 2), (None, 3, 3), (0, 0, 1), (None, 0, 1)],
)
def test_default_min_healthy_is_the_iac_minimum(scaling_minimum, desired, expected):
    # data, not `if env == "hobby"`: the scaling minimum the profile deployed, else the desired count
    assert default_min_healthy(scaling_minimum, desired) == expected


def test_step_states_against_live_weights():
    plan = build_plan("0,10,25,50,100", "1m", "10s", 1)
    states = {s.ecs: s.state for s in step_states(plan, Weights.to_ecs(25))}
    assert states == {0: "done", 10: "done", 25: "live", 50: "next", 100: "pending"}
    states = {s.ecs: s.state for s in step_states(plan, Weights.all_legacy())}
    assert states == {0: "done", 10: "next", 25: "pending", 50: "pending", 100: "pending"}
