"""The dollars of each component, side by side: the Fargate design, what both fleets share, the EC2 fleet."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from macro_ai_deploy.cost.data import CostDataError, LegacyDefaults, Load
from macro_ai_deploy.cost.inventory import LegacyFleet
from macro_ai_deploy.cost.templates import ADOPTED, Deployment

if TYPE_CHECKING:
    from macro_ai_deploy.cost.model import Pricer, ServiceWeek

GB = 1e9
DAYS_PER_MONTH = 365 / 12
UNLIMITED_RETENTION_DAYS = 365  # a log group kept forever: priced at a year of logs


COMPONENTS = (
    "compute",
    "storage (EBS)",
    "load balancer",
    "NAT gateways",
    "interface endpoints",
    "public IPv4",
    "logs",
    "custom metrics",
    "alarms, dashboards",
    "secrets, keys, parameters",
    "database (RDS)",
)
SHARED = frozenset({"alarms, dashboards", "secrets, keys, parameters", "database (RDS)"})


@dataclass
class Side:
    """One component's dollars on one side, with what makes them up."""

    usd: float = 0.0
    details: list[str] = field(default_factory=list)

    def add(self, usd: float, detail: str) -> None:
        self.usd += usd
        self.details.append(detail)


def _sides() -> dict[str, Side]:
    return {c: Side() for c in COMPONENTS}


def _tenants(deployment: Deployment) -> int:
    """Service copies of this profile that receive traffic (each open preview counts)."""
    return sum(p.copies for p in deployment.parts if p.inventory.services)


def _nat(sides: dict[str, Side], deployment: Deployment, pricer: Pricer, instances_or_tasks: float) -> None:
    """The NAT gateways (and their Elastic IPs) of the profile's templates, and the data through them."""
    hours = pricer.hours
    for part in deployment.parts:
        inv = part.inventory
        if not inv.nat_gateways:
            continue
        gateways = inv.nat_gateways * part.copies
        eips = inv.elastic_ips * part.copies
        sides["NAT gateways"].add(
            gateways * hours * pricer.usd("nat.hour") + eips * hours * pricer.usd("ipv4.hour"),
            f"{gateways} NAT gateway(s) x {hours:g} h + {eips} Elastic IP(s)",
        )
    if any(p.inventory.nat_gateways for p in deployment.parts) and instances_or_tasks:
        data = instances_or_tasks * pricer.loads.traffic.nat_gb_per_task_month
        sides["NAT gateways"].add(data * pricer.usd("nat.gb"), f"{data:.1f} GB processed")


def _load_balancer(
    sides: dict[str, Side], pricer: Pricer, load: Load, share: float, azs: int, tenants: int, label: str
) -> None:
    hours = pricer.hours
    lcu = pricer.lcu_hours(load) * tenants
    sides["load balancer"].add(
        share * hours * pricer.usd("alb.hour") + lcu * pricer.usd("alb.lcu_hour"),
        f"{label}: {share:.0%} of {hours:g} h + {lcu:.1f} LCU-hours",
    )
    if azs:
        sides["public IPv4"].add(
            share * azs * hours * pricer.usd("ipv4.hour"), f"{label}: {share:.0%} of {azs} load balancer IPs"
        )


def _retention(deployment: Deployment, stack: str, log_group: str) -> int:
    inv = next(p.inventory for p in deployment.parts if p.inventory.stack == stack)
    return inv.log_retention_days.get(log_group) or UNLIMITED_RETENTION_DAYS


def _add_logs(
    side: Side, pricer: Pricer, ingest_bytes: float, events: float, retention: int, how: str
) -> None:
    """Ingestion (plus any per-event overhead loads.json says is billed) and storage for the retention."""
    ingest = (ingest_bytes + events * pricer.loads.logs.event_overhead_bytes) / GB
    stored = ingest * retention / DAYS_PER_MONTH
    side.add(
        ingest * pricer.usd("logs.ingest_gb") + stored * pricer.usd("logs.storage_gb_month"),
        f"{how}: {ingest:.2f} GB/month ingested, {stored:.2f} GB kept ({retention} days)",
    )


def _fargate_logs(
    sides: dict[str, Side],
    deployment: Deployment,
    pricer: Pricer,
    load: Load,
    services: tuple[ServiceWeek, ...],
) -> None:
    """The API's measured bytes per request, plus one metric document per route and minute of each task."""
    capacity, logs = pricer.capacity, pricer.loads.logs
    requests = pricer.average_rps(load) * pricer.hours * 3600
    for sw in services:
        if sw.service.log_group is None:
            continue
        task_minutes = (sw.on_demand_task_hours + sw.spot_task_hours) * 60
        # A route's minute is one document; a task sees at least its health-check route each minute, and no
        # more routes than it has requests.
        documents = min(task_minutes * logs.metric_routes_per_minute, task_minutes + sw.copies * requests)
        _add_logs(
            sides["logs"],
            pricer,
            sw.copies * requests * capacity.log_bytes_per_request
            + documents * capacity.metric_document_bytes,
            sw.copies * requests + documents,
            _retention(deployment, sw.stack, sw.service.log_group),
            f"{capacity.log_bytes_per_request:.0f} B/request (measured) + "
            f"{capacity.metric_document_bytes:.0f} B x {logs.metric_routes_per_minute:g} routes/task-minute",
        )


def _custom_metrics(
    sides: dict[str, Side], deployment: Deployment, pricer: Pricer, services: tuple[ServiceWeek, ...]
) -> None:
    """The API's embedded metrics and Container Insights: billed per metric for the hours it is published
    (while tasks run)."""
    counts = pricer.loads.custom_metrics
    month = pricer.usd("cloudwatch.custom_metric_month")
    running = 0.0
    for sw in services:
        share = 1 - sw.week.zero_share  # hours with a task running
        running = max(running, share)
        api = counts.api_aggregate + counts.api_per_route * counts.api_routes_per_hour
        insights = counts.insights_per_service if sw.service.container_insights else 0
        sides["custom metrics"].add(
            sw.copies * (api + insights) * share * month,
            f"{sw.copies * api:.0f} API metrics ({counts.api_aggregate} + {counts.api_per_route} a route x "
            f"{counts.api_routes_per_hour:g} routes an hour)"
            + (f" + {sw.copies * insights} Container Insights" if insights else "")
            + f", published {share:.0%} of the month",
        )
    clusters = sum(len(p.inventory.insights_clusters) for p in deployment.parts)
    if clusters and running:
        sides["custom metrics"].add(
            clusters * counts.insights_per_cluster * running * month,
            f"{clusters * counts.insights_per_cluster} Container Insights cluster metrics",
        )


def fargate_side(
    deployment: Deployment, pricer: Pricer, load: Load, services: tuple[ServiceWeek, ...]
) -> dict[str, Side]:
    sides = _sides()
    hours = pricer.hours
    for sw in services:
        usd, detail = pricer.fargate_usd(sw)
        sides["compute"].add(usd, detail)
        if sw.service.public_ip:
            task_hours = sw.on_demand_task_hours + sw.spot_task_hours
            sides["public IPv4"].add(
                task_hours * pricer.usd("ipv4.hour"), f"{task_hours:.0f} task-hours with a public IP"
            )
    for lb in deployment.load_balancers:
        label = "own" if lb.tenants <= 1 else f"shared by {lb.tenants} services ({lb.stack})"
        if lb.load_balancer.logical_id == ADOPTED:
            label = f"adopted from the existing platform (assumed {lb.load_balancer.azs} zones)"
        azs = lb.load_balancer.azs if lb.load_balancer.internet_facing else 0
        _load_balancer(sides, pricer, load, lb.fraction, azs, _tenants(deployment), label)
    private_task_months = sum(
        (sw.on_demand_task_hours + sw.spot_task_hours) / hours for sw in services if not sw.service.public_ip
    )
    _nat(sides, deployment, pricer, private_task_months)
    _fargate_logs(sides, deployment, pricer, load, services)
    _custom_metrics(sides, deployment, pricer, services)
    for part in deployment.parts:
        azs = part.inventory.interface_endpoint_azs * part.copies
        if azs:
            data = private_task_months * pricer.loads.traffic.endpoint_gb_per_task_month
            sides["interface endpoints"].add(
                azs * hours * pricer.usd("endpoint.interface.hour")
                + data * pricer.usd("endpoint.interface.gb"),
                f"{part.inventory.interface_endpoints * part.copies} endpoints in {azs} zone-ENIs"
                f" x {hours:g} h + {data:.1f} GB",
            )
    return sides


def shared_side(deployment: Deployment, pricer: Pricer, load: Load) -> dict[str, Side]:
    """What the old fleet needed as well for the same load: both sides carry these figures."""
    sides = _sides()
    hours = pricer.hours
    for part in deployment.parts:
        inv, copies = part.inventory, part.copies
        if inv.alarm_metrics or inv.dashboards:
            sides["alarms, dashboards"].add(
                copies * inv.alarm_metrics * pricer.usd("cloudwatch.alarm_metric_month")
                + copies * inv.dashboards * pricer.usd("cloudwatch.dashboard_month"),
                f"{copies * inv.alarm_metrics} alarm metrics, {copies * inv.dashboards} dashboard(s)",
            )
        if inv.secrets or inv.kms_keys or inv.advanced_parameters:
            sides["secrets, keys, parameters"].add(
                copies * inv.secrets * pricer.usd("secretsmanager.secret_month")
                + copies * inv.kms_keys * pricer.usd("kms.key_month")
                + copies * inv.advanced_parameters * pricer.usd("ssm.advanced_parameter_month"),
                f"{copies * inv.secrets} secret(s), {copies * inv.kms_keys} KMS key(s), "
                f"{copies * inv.advanced_parameters} advanced parameter(s)",
            )
        for instance_class, multi_az, gib, storage in inv.databases:
            copies_az = copies * (2 if multi_az else 1)
            sides["database (RDS)"].add(
                copies_az * hours * pricer.usd(f"rds.postgres.{instance_class}.hour")
                + copies_az * gib * pricer.usd(f"rds.storage.{storage}.gb_month"),
                f"{instance_class}{' Multi-AZ' if multi_az else ''} x {hours:g} h + {gib:g} GiB {storage}",
            )
    return sides


def legacy_side(
    deployment: Deployment, pricer: Pricer, load: Load, defaults: LegacyDefaults
) -> tuple[dict[str, Side] | None, tuple[str, ...]]:
    fleets = legacy_fleets(deployment, load, defaults)
    if fleets is None:
        return None, ("no legacy EC2 fleet to compare with (none in the template, none in loads.json)",)
    in_template = any(p.inventory.legacy_fleets for p in deployment.parts)
    sides = _sides()
    hours = pricer.hours
    for f in fleets:
        sides["compute"].add(
            f.count * hours * pricer.usd(f"ec2.{f.instance_type}.hour"),
            f"{f.count} x {f.instance_type} x {hours:g} h",
        )
        sides["storage (EBS)"].add(
            f.count * f.volume_gib * pricer.usd(f"ebs.{f.volume_type}.gb_month"),
            f"{f.count} x {f.volume_gib:g} GiB {f.volume_type}",
        )
        if f.public_ip:
            sides["public IPv4"].add(f.count * hours * pricer.usd("ipv4.hour"), f"{f.count} instance IP(s)")
    requests = pricer.average_rps(load) * hours * 3600
    legacy_bytes = pricer.loads.logs.legacy_bytes_per_request
    for part in deployment.parts:
        for service in part.inventory.services:
            if service.log_group is not None:
                _add_logs(
                    sides["logs"],
                    pricer,
                    part.copies * requests * legacy_bytes,
                    part.copies * requests,
                    _retention(deployment, part.inventory.stack, service.log_group),
                    f"{legacy_bytes:.0f} B/request (estimate, loads.json)",
                )
    own = [lb for lb in deployment.load_balancers if lb.fraction == 1]
    azs = own[0].load_balancer.azs if own else defaults.load_balancer_azs
    _load_balancer(sides, pricer, load, 1.0, azs, 1, "its own")
    behind_nat = [f for f in fleets if f.behind_nat]
    if behind_nat:
        _nat(sides, deployment, pricer, sum(f.count for f in behind_nat))
    origin = (
        "the fleet in the template" if in_template else "the baseline in loads.json (not in the template)"
    )
    return sides, (f"legacy side: {origin}, running {hours:g} h a month",)


def legacy_fleets(
    deployment: Deployment, load: Load, defaults: LegacyDefaults
) -> tuple[LegacyFleet, ...] | None:
    fleets = tuple(f for part in deployment.parts for f in part.inventory.legacy_fleets)
    if fleets:
        return fleets
    if load.legacy is None:
        return None
    if load.legacy.count < 1:
        raise CostDataError(f"{deployment.profile}: the legacy baseline needs at least one instance")
    return (
        LegacyFleet(
            instance_type=load.legacy.instance_type,
            count=load.legacy.count,
            volume_gib=defaults.root_volume_gib,
            volume_type=defaults.root_volume_type,
            public_ip=defaults.public_ipv4_per_instance,
            behind_nat=False,
        ),
    )
