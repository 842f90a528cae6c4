"""Monthly dollars per component for one profile, and the legacy EC2 fleet for the same load beside it.

Rules (docs/cost.md says why):
- a month is the price table's hours_per_month (730 h);
- Fargate tasks come from the week simulation (load, headroom, bounds, schedules), split between FARGATE
  and FARGATE_SPOT by the capacity provider strategy;
- a load balancer's fixed part (hours and its public IPv4s) is shared out between the services routed
  through it; its LCUs follow each profile's own load;
- the database, secrets, keys, parameters, logs, alarms and dashboards are "shared": the old fleet needed
  them for the same load, so both sides carry the same figure;
- the legacy side is the fleet in the template (instance type x count x 730 h, EBS, public IPv4, the NAT
  its subnets route through) or, once the template no longer holds it, the profile's baseline in loads.json,
  plus a load balancer of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from macro_ai_contract.sizing import per_task_rps

from macro_ai_deploy.cost.data import Capacity, LegacyDefaults, Load, Loads, PriceTable
from macro_ai_deploy.cost.inventory import FargateService
from macro_ai_deploy.cost.lines import COMPONENTS, SHARED, fargate_side, legacy_side, shared_side
from macro_ai_deploy.cost.schedule import Week, simulate
from macro_ai_deploy.cost.templates import Deployment

SPOT = "FARGATE_SPOT"
GB = 1e9


@dataclass(frozen=True)
class Line:
    component: str
    fargate_usd: float
    legacy_usd: float | None
    detail: str
    legacy_detail: str
    shared: bool


@dataclass(frozen=True)
class ServiceWeek:
    stack: str
    service: FargateService
    week: Week
    copies: int
    on_demand_task_hours: float
    spot_task_hours: float


@dataclass(frozen=True)
class Estimate:
    profile: str
    lines: tuple[Line, ...]
    fargate_usd: float
    legacy_usd: float | None
    services: tuple[ServiceWeek, ...]
    prices_used: tuple[str, ...]
    notes: tuple[str, ...]

    @property
    def saving_percent(self) -> float | None:
        """On the whole bill, shared lines included (the basis of the goal)."""
        if not self.legacy_usd:
            return None
        return 100 * (self.legacy_usd - self.fargate_usd) / self.legacy_usd

    @property
    def saving_percent_without_shared(self) -> float | None:
        """On what the migration changes: the lines both sides carry alike left out."""
        legacy = sum(line.legacy_usd or 0.0 for line in self.lines if not line.shared)
        fargate = sum(line.fargate_usd for line in self.lines if not line.shared)
        if self.legacy_usd is None or not legacy:
            return None
        return 100 * (legacy - fargate) / legacy


def split_on_demand(tasks: int, strategy: tuple[tuple[str, int, int], ...]) -> float:
    """How many of `tasks` run on on-demand FARGATE under a capacity provider strategy (base, then weight)."""
    base = sum(b for _, b, _ in strategy)
    on_demand = float(min(tasks, sum(b for p, b, _ in strategy if p != SPOT)))
    rest = max(0, tasks - base)
    weights = sum(w for _, _, w in strategy)
    if rest and weights:
        on_demand += rest * sum(w for p, _, w in strategy if p != SPOT) / weights
    elif rest:
        on_demand += rest  # no weights: ECS places them on the base provider
    return on_demand


class Pricer:
    def __init__(self, prices: PriceTable, loads: Loads, capacity: Capacity) -> None:
        self.prices, self.loads, self.capacity = prices, loads, capacity
        self.hours = prices.hours_per_month
        self.used: set[str] = set()

    def usd(self, key: str) -> float:
        self.used.add(key)
        return self.prices.usd(key)

    # -- load
    def busy_share(self, load: Load) -> float:
        return load.hours_per_day * load.days_per_week / (24 * 7)

    def average_rps(self, load: Load) -> float:
        busy = self.busy_share(load)
        return busy * load.requests_per_second + (1 - busy) * load.quiet_requests_per_second

    def per_task_rps(self, cpu_units: int) -> float:
        return per_task_rps(cpu_units, self.capacity.requests_per_vcpu_second)

    def week(self, service: FargateService, load: Load, stop_when_quiet: bool = False) -> Week:
        return simulate(
            min_capacity=service.min_capacity,
            max_capacity=service.max_capacity,
            schedules=service.schedules,
            load=load,
            per_task_rps=self.per_task_rps(service.cpu_units),
            headroom_percent=self.loads.headroom_percent,
            stop_when_quiet=stop_when_quiet,
            requests_per_target_minute=service.requests_per_target,
        )

    def lcu_hours(self, load: Load) -> float:
        """ALB capacity units: the larger of new connections (25/s per LCU) and bytes (1 GB/h per LCU)."""
        t = self.loads.traffic

        def lcu(rps: float) -> float:
            return max(rps * t.new_connections_per_request / 25, rps * t.bytes_per_request * 3600 / GB)

        busy = self.busy_share(load)
        return self.hours * (
            busy * lcu(load.requests_per_second) + (1 - busy) * lcu(load.quiet_requests_per_second)
        )

    # -- Fargate
    def service_week(
        self, stack: str, service: FargateService, load: Load, copies: int, **what_if: bool
    ) -> ServiceWeek:
        week = self.week(service, load, **what_if)
        on_demand = sum(
            minutes * split_on_demand(tasks, service.strategy) for tasks, minutes in week.minutes_at.items()
        ) / sum(week.minutes_at.values())
        scale = self.hours * copies
        return ServiceWeek(
            stack, service, week, copies, on_demand * scale, (week.average_tasks - on_demand) * scale
        )

    def fargate_usd(self, sw: ServiceWeek) -> tuple[float, str]:
        s = sw.service
        vcpu, gb = s.cpu_units / 1024, s.memory_mib / 1024
        od = vcpu * self.usd(f"fargate.{s.architecture}.vcpu_hour") + gb * self.usd(
            f"fargate.{s.architecture}.gb_hour"
        )
        spot = vcpu * self.usd(f"fargate.{s.architecture}.spot.vcpu_hour") + gb * self.usd(
            f"fargate.{s.architecture}.spot.gb_hour"
        )
        usd = sw.on_demand_task_hours * od + sw.spot_task_hours * spot
        copies = f"{sw.copies} x " if sw.copies != 1 else ""
        detail = (
            f"{copies}{s.name}: {vcpu:g} vCPU/{gb:g} GB {s.architecture}, "
            f"{sw.week.average_tasks:.2f} tasks on average (peak {sw.week.peak_tasks}), "
            f"{sw.on_demand_task_hours:.0f} on-demand + {sw.spot_task_hours:.0f} Spot task-hours"
        )
        return usd, detail


def price(
    deployment: Deployment,
    pricer: Pricer,
    load: Load,
    legacy_defaults: LegacyDefaults,
    stop_when_quiet: bool = False,
) -> Estimate:
    pricer.used = set()
    services = tuple(
        pricer.service_week(part.inventory.stack, s, load, part.copies, stop_when_quiet=stop_when_quiet)
        for part in deployment.parts
        for s in part.inventory.services
    )
    fargate = fargate_side(deployment, pricer, load, services)
    shared = shared_side(deployment, pricer, load)
    legacy, notes = legacy_side(deployment, pricer, load, legacy_defaults)
    lines = []
    for component in COMPONENTS:
        side = (shared if component in SHARED else fargate)[component]
        other = side if component in SHARED else (legacy or {}).get(component)
        if side.usd == 0 and (other is None or other.usd == 0):
            continue
        lines.append(
            Line(
                component=component,
                fargate_usd=side.usd,
                legacy_usd=None if legacy is None else (other.usd if other else 0.0),
                detail="; ".join(side.details),
                legacy_detail="same" if component in SHARED else "; ".join(other.details if other else []),
                shared=component in SHARED,
            )
        )
    hidden_nat = [
        sw.service.name
        for part in deployment.parts
        for sw in services
        if sw.stack == part.inventory.stack
        and not sw.service.public_ip
        and sw.service.subnets_outside
        and not part.inventory.nat_gateways
    ]
    if hidden_nat:
        notes = (
            *notes,
            f"{', '.join(hidden_nat)}: private tasks in subnets defined elsewhere; any NAT gateway or "
            "endpoint they use is not in the template and not priced",
        )
    capped = [sw.service.name for sw in services if sw.week.capped]
    if capped:
        notes = (*notes, f"the load needs more tasks than the maximum allows for {', '.join(capped)}")
    return Estimate(
        profile=deployment.profile,
        lines=tuple(lines),
        fargate_usd=sum(line.fargate_usd for line in lines),
        legacy_usd=None if legacy is None else sum(line.legacy_usd or 0.0 for line in lines),
        services=services,
        prices_used=tuple(sorted(pricer.used)),
        notes=tuple(notes),
    )
