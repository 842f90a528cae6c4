"""One sizing rule for the cost advice and the CDK profiles (macro_ai_contract.sizing).

The production profile's task size must be the rule's answer for the measured capacity (docs/capacity.json)
and the expected load (loads.json): when a benchmark or the load moves the answer, this test says so.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from macro_ai_contract.sizing import (
    TaskSize,
    request_target_ceiling,
    smallest_task_size,
    tasks_needed,
)
from macro_ai_deploy.cost import data
from macro_ai_infra.profile import Profile
from macro_ai_infra.profiles import registered

SIZES = {256: (512, 1024), 512: (1024, 2048), 1024: (2048,)}


def test_tasks_needed_keeps_the_headroom():
    # 100 req/s a task with 30 % headroom serves 70: 70 -> 1 task, 71 -> 2, nothing -> 0.
    assert tasks_needed(70, 100, 30) == 1
    assert tasks_needed(71, 100, 30) == 2
    assert tasks_needed(0, 100, 30) == 0


def test_smallest_size_is_the_fewest_cpu_units_within_the_maximum():
    rule = {"rps_per_vcpu": 400, "headroom_percent": 30, "memory_floor_mib": 512, "sizes": SIZES}
    # 0.25 vCPU: 100 req/s a task, 70 with headroom.
    assert smallest_task_size(peak_rps=40, max_tasks=12, **rule) == TaskSize(256, 512, 1)
    assert smallest_task_size(peak_rps=200, max_tasks=3, **rule) == TaskSize(256, 512, 3)
    # 4 quarter-vCPU tasks are too many for a maximum of 3: 0.5 vCPU (140 with headroom) x 2.
    assert smallest_task_size(peak_rps=250, max_tasks=3, **rule) == TaskSize(512, 1024, 2)
    # A memory floor above what 0.25 vCPU offers here (1024 at most) moves up a size.
    assert smallest_task_size(peak_rps=40, max_tasks=12, **{**rule, "memory_floor_mib": 2048}) == TaskSize(
        512, 2048, 1
    )
    assert smallest_task_size(peak_rps=10_000, max_tasks=2, **rule) is None


def sizing_problems(
    profile: Profile, load: data.Load, loads: data.Loads, capacity: data.Capacity
) -> list[str]:
    """How a profile departs from the rule for its load: size, floor, request-count target."""
    size = smallest_task_size(
        peak_rps=load.requests_per_second,
        rps_per_vcpu=capacity.requests_per_vcpu_second,
        headroom_percent=loads.headroom_percent,
        memory_floor_mib=loads.task_memory_floor_mib,
        max_tasks=profile.max_capacity,
    )
    if size is None:
        return ["no Fargate size serves the peak within the maximum"]
    problems = []
    if (profile.cpu, profile.memory_mib) != (size.cpu, size.memory_mib):
        problems.append(
            f"{profile.cpu}/{profile.memory_mib} where the rule says {size.cpu}/{size.memory_mib} "
            f"({capacity.requests_per_vcpu_second:.0f} req/s per vCPU, "
            f"{load.requests_per_second:g} req/s peak)"
        )
    if profile.min_capacity < size.tasks:
        problems.append(f"a floor of {profile.min_capacity} under the {size.tasks} tasks the peak needs")
    if profile.requests_per_target is not None:
        ceiling = request_target_ceiling(
            profile.cpu, capacity.requests_per_vcpu_second, loads.headroom_percent
        )
        if profile.requests_per_target > ceiling:
            problems.append(
                f"request target {profile.requests_per_target} above the {ceiling:.0f} a task serves"
            )
        at_peak = load.requests_per_second * 60 / max(profile.min_capacity, size.tasks)
        if profile.requests_per_target < at_peak:
            problems.append(
                f"request target {profile.requests_per_target} scales out at the expected peak "
                f"({at_peak:.0f} a task)"
            )
    return problems


@pytest.fixture(scope="module")
def measured() -> tuple[data.Loads, data.Capacity]:
    return data.load_loads(), data.load_capacity()


@pytest.mark.parametrize("environment", ["production", "staging"])
def test_sized_by_the_rule_from_the_measured_capacity(measured, environment):
    """Staging rehearses production's size; both must be what the rule says for their load."""
    loads, capacity = measured
    profile = registered()[environment]
    assert sizing_problems(profile, loads.of(environment), loads, capacity) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"cpu": 512, "memory_mib": 1024}, "where the rule says 256/512"),
        ({"min_capacity": 0}, "a floor of 0"),
        ({"requests_per_target": 1000}, "scales out at the expected peak"),
        ({"requests_per_target": "above the ceiling"}, "above the"),
    ],
)
def test_a_profile_off_the_rule_is_named(measured, change, problem):
    loads, capacity = measured
    if change.get("requests_per_target") == "above the ceiling":  # moves with every benchmark run
        cpu = registered()["production"].cpu
        ceiling = request_target_ceiling(cpu, capacity.requests_per_vcpu_second, loads.headroom_percent)
        change = {"requests_per_target": int(ceiling) + 1}
    off = replace(registered()["production"], **change)
    assert any(problem in p for p in sizing_problems(off, loads.of("production"), loads, capacity))
