"""The migration plan from the operator's options, and where the live weights are in it. No I/O."""

from __future__ import annotations

from dataclasses import dataclass

from macro_ai_deploy.durations import parse_duration
from macro_ai_deploy.errors import UsageError
from macro_ai_deploy.rollout import DEFAULT_STEPS, Plan, Weights

DEFAULT_STEPS_TEXT = ",".join(map(str, DEFAULT_STEPS))


def parse_steps(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise UsageError(f"--steps: expected comma-separated integers, got {text!r}") from None


def _seconds(text: str, what: str) -> float:
    try:
        return parse_duration(text)
    except UsageError as exc:
        raise UsageError(f"--{what}: {exc.message}") from None


def default_min_healthy(scaling_minimum: int | None, desired_count: int) -> int:
    """Healthy ECS tasks a step needs when the operator names none: what the IaC runs the service with.

    The scaling minimum is the environment's profile as deployed (1 for hobby and previews, 2 for
    production ...); without a scalable target, the service's desired count. Never fewer than one.
    """
    base = scaling_minimum if scaling_minimum is not None else desired_count
    return max(1, base)


def build_plan(
    steps: str, bake: str, interval: str, min_healthy_tasks: int, capacity_timeout: str = "10m"
) -> Plan:
    try:
        return Plan(
            steps=parse_steps(steps),
            bake_seconds=_seconds(bake, "bake"),
            check_interval_seconds=_seconds(interval, "interval"),
            min_healthy_tasks=min_healthy_tasks,
            capacity_timeout_seconds=_seconds(capacity_timeout, "capacity-timeout"),
        )
    except ValueError as exc:
        raise UsageError(f"invalid plan: {exc}") from None


@dataclass(frozen=True)
class StepState:
    index: int
    ecs: int
    state: str  # done | live | next | pending


def step_states(plan: Plan, live: Weights) -> list[StepState]:
    """Each planned step against the live weights: what is done, what is live, what comes next."""
    nxt = plan.next_step(live.ecs)
    out: list[StepState] = []
    for i, s in enumerate(plan.steps):
        if s < live.ecs or (s == live.ecs == 0):
            state = "done"
        elif s == live.ecs:
            state = "live"
        elif s == nxt:
            state = "next"
        else:
            state = "pending"
        out.append(StepState(i, s, state))
    return out
