"""The one sizing rule: how many tasks of a Fargate size serve a load, and the smallest size that serves it.

`macro-deploy cost` advises with it and prices its week simulation with it; a test holds the CDK profiles to
it (deploy/tests/test_cost_sizing_rule.py), so the production size is the rule's answer for the measured
capacity and the expected load, not a second guess.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from macro_ai_contract.fargate import FARGATE_SIZES


@dataclass(frozen=True)
class TaskSize:
    cpu: int  # Fargate CPU units (1024 = 1 vCPU)
    memory_mib: int
    tasks: int  # tasks the peak needs at this size (at least 1)


def per_task_rps(cpu: int, rps_per_vcpu: float) -> float:
    return cpu / 1024 * rps_per_vcpu


def tasks_needed(requests_per_second: float, task_rps: float, headroom_percent: float) -> int:
    """Tasks that serve the load with each task kept headroom_percent below what it can do."""
    if requests_per_second <= 0:
        return 0
    return math.ceil(requests_per_second / (task_rps * (1 - headroom_percent / 100)) - 1e-9)


def smallest_task_size(
    *,
    peak_rps: float,
    rps_per_vcpu: float,
    headroom_percent: float,
    memory_floor_mib: int,
    max_tasks: int,
    sizes: dict[int, tuple[int, ...]] = FARGATE_SIZES,
) -> TaskSize | None:
    """The fewest CPU units (then the least memory >= the floor) whose tasks serve the peak with headroom
    within max_tasks; None when no size does."""
    for cpu, memories in sorted(sizes.items()):
        memory = next((m for m in sorted(memories) if m >= memory_floor_mib), None)
        if memory is None:
            continue
        needed = tasks_needed(peak_rps, per_task_rps(cpu, rps_per_vcpu), headroom_percent)
        if needed <= max_tasks:
            return TaskSize(cpu, memory, max(needed, 1))
    return None


def request_target_ceiling(cpu: int, rps_per_vcpu: float, headroom_percent: float) -> float:
    """The most requests per minute per task a request-count scaling target may allow before scaling out:
    what one task serves with its headroom kept (ALBRequestCountPerTarget counts per minute)."""
    return per_task_rps(cpu, rps_per_vcpu) * (1 - headroom_percent / 100) * 60
