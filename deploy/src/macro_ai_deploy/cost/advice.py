"""Advice as priced what-ifs: the smallest task size for the load, Spot, stopping when quiet."""

from __future__ import annotations

from dataclasses import dataclass, replace

from macro_ai_contract.sizing import smallest_task_size

from macro_ai_deploy.cost.data import Load, Loads
from macro_ai_deploy.cost.inventory import FargateService
from macro_ai_deploy.cost.model import Estimate, Pricer, price
from macro_ai_deploy.cost.templates import Deployment, Part

SPOT_ONLY = (("FARGATE_SPOT", 0, 1),)


@dataclass(frozen=True)
class Advice:
    kind: str  # task-size | spot | schedule
    text: str
    monthly_saving_usd: float  # against the design as synthesized; 0 when nothing to gain


def _with_services(deployment: Deployment, change: dict[str, object]) -> Deployment:
    parts = tuple(
        Part(
            replace(p.inventory, services=tuple(replace(s, **change) for s in p.inventory.services)),  # type: ignore[arg-type]
            p.copies,
        )
        for p in deployment.parts
    )
    return replace(deployment, parts=parts)


def smallest_size(service: FargateService, load: Load, pricer: Pricer) -> tuple[int, int, int] | None:
    """(cpu units, memory MiB, tasks at peak) of the smallest size that serves the peak with headroom
    within the service's maximum task count (the rule of macro_ai_contract.sizing)."""
    size = smallest_task_size(
        peak_rps=load.requests_per_second,
        rps_per_vcpu=pricer.capacity.requests_per_vcpu_second,
        headroom_percent=pricer.loads.headroom_percent,
        memory_floor_mib=pricer.loads.task_memory_floor_mib,
        max_tasks=service.max_capacity,
        sizes=pricer.prices.task_sizes,
    )
    return None if size is None else (size.cpu, size.memory_mib, size.tasks)


def _size_advice(
    estimate: Estimate, deployment: Deployment, pricer: Pricer, load: Load, loads: Loads
) -> Advice | None:
    if not estimate.services:
        return None
    service = estimate.services[0].service
    per_vcpu = pricer.capacity.requests_per_vcpu_second
    best = smallest_size(service, load, pricer)
    now = f"{service.cpu_units / 1024:g} vCPU / {service.memory_mib / 1024:g} GB"
    if best is None:
        return Advice(
            "task-size",
            f"no Fargate size serves {load.requests_per_second:g} req/s within {service.max_capacity} tasks "
            f"at {per_vcpu:.0f} req/s per vCPU: raise the maximum",
            0.0,
        )
    cpu, memory, tasks = best
    size = f"{cpu / 1024:g} vCPU / {memory / 1024:g} GB"
    basis = (
        f"{load.requests_per_second:g} req/s at peak, {per_vcpu:.0f} req/s per vCPU measured "
        f"({pricer.capacity.endpoint}), {loads.headroom_percent:g} % headroom"
    )
    if (cpu, memory) == (service.cpu_units, service.memory_mib):
        return Advice(
            "task-size",
            f"{now} is the smallest size that serves {basis}: the peak needs {tasks} task(s)",
            0.0,
        )
    what_if = price(
        _with_services(deployment, {"cpu_units": cpu, "memory_mib": memory}),
        pricer,
        load,
        loads.legacy_default,
    )
    saving = estimate.fargate_usd - what_if.fargate_usd
    return Advice(
        "task-size",
        f"smallest size that serves {basis}: {size}, the peak needs {tasks} task(s) (now {now}; "
        f"the scaling floor still applies): "
        f"{'saves' if saving >= 0 else 'costs'} ${abs(saving):,.2f} a month",
        max(saving, 0.0),
    )


def _spot_advice(
    estimate: Estimate, deployment: Deployment, pricer: Pricer, load: Load, loads: Loads
) -> Advice | None:
    on_demand = sum(sw.on_demand_task_hours for sw in estimate.services)
    spot = sum(sw.spot_task_hours for sw in estimate.services)
    if not estimate.services:
        return None
    if not load.interruptions_ok:
        warn = " but runs on Spot: move it to on-demand FARGATE" if spot else ""
        return Advice("spot", f"on-demand: the profile does not accept interruptions{warn}", 0.0)
    if not on_demand:
        return Advice("spot", "already on Fargate Spot", 0.0)
    what_if = price(_with_services(deployment, {"strategy": SPOT_ONLY}), pricer, load, loads.legacy_default)
    saving = estimate.fargate_usd - what_if.fargate_usd
    return Advice(
        "spot",
        f"the profile accepts interruptions: FARGATE_SPOT for its {on_demand:.0f} on-demand task-hours "
        f"saves ${saving:,.2f} a month",
        saving,
    )


def _schedule_advice(
    estimate: Estimate, deployment: Deployment, pricer: Pricer, load: Load, loads: Loads
) -> Advice | None:
    if not estimate.services:
        return None
    busy = (
        f"busy {load.hours_per_day} h a day, {load.days_per_week} days a week "
        f"from {load.start_hour_utc:02d}:00 UTC"
    )
    stopped = max(sw.week.zero_share for sw in estimate.services)
    if not load.may_stop_when_quiet or load.quiet_requests_per_second > 0:
        return Advice(
            "schedule", f"runs around the clock ({busy}; the profile keeps serving when quiet)", 0.0
        )
    what_if = price(deployment, pricer, load, loads.legacy_default, stop_when_quiet=True)
    saving = estimate.fargate_usd - what_if.fargate_usd
    if saving < 0.005:
        return Advice("schedule", f"already stopped {stopped:.0%} of the week ({busy})", 0.0)
    return Advice(
        "schedule",
        f"a schedule to 0 tasks outside the busy hours ({busy}; stopped {stopped:.0%} of the week now) "
        f"saves ${saving:,.2f} a month",
        saving,
    )


def advise(
    estimate: Estimate, deployment: Deployment, pricer: Pricer, load: Load, loads: Loads
) -> tuple[Advice, ...]:
    found = []
    for rule in (_size_advice, _spot_advice, _schedule_advice):
        advice = rule(estimate, deployment, pricer, load, loads)
        if advice is not None:
            found.append(advice)
    return tuple(found)
