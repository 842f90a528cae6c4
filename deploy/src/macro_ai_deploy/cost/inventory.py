"""What a synthesized CloudFormation template bills for: the resources and settings the model prices.

Only the template is read (no AWS calls). Values the template takes from elsewhere (imports, parameters)
are resolved where the model needs them: a listener imported from another stack names its load balancer
through that stack's exports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from macro_ai_deploy.cost.data import CostDataError


@dataclass(frozen=True)
class ScheduledAction:
    name: str
    schedule: str  # cron(...) as Application Auto Scaling writes it
    min_capacity: int | None
    max_capacity: int | None


@dataclass(frozen=True)
class FargateService:
    name: str
    cpu_units: int
    memory_mib: int
    architecture: str  # arm64 | x86_64
    # Capacity providers in order: (provider, base, weight); on-demand FARGATE when none are given.
    strategy: tuple[tuple[str, int, int], ...]
    public_ip: bool
    desired_count: int
    min_capacity: int
    max_capacity: int
    schedules: tuple[ScheduledAction, ...]
    log_group: str | None  # logical id of the log group the task writes to
    subnets_outside: bool = False  # its subnets are not defined in this template (imported or adopted)
    requests_per_target: float | None = None  # ALBRequestCountPerTarget target tracking (per minute)
    cluster: str | None = None  # logical id of its cluster in this template, or the export it imports
    container_insights: bool = False  # its cluster publishes Container Insights metrics


@dataclass(frozen=True)
class LoadBalancer:
    logical_id: str
    azs: int  # subnets: an internet-facing ALB holds one public IPv4 per zone
    internet_facing: bool


@dataclass(frozen=True)
class LegacyFleet:
    instance_type: str
    count: int
    volume_gib: float
    volume_type: str
    public_ip: bool
    behind_nat: bool  # its subnets route to a NAT gateway of the template


@dataclass(frozen=True)
class Inventory:
    stack: str
    services: tuple[FargateService, ...] = ()
    load_balancers: tuple[LoadBalancer, ...] = ()
    # Exports of listeners of other stacks that this template adds rules to (a shared load balancer).
    borrowed_listeners: tuple[str, ...] = ()
    # Listeners named by ARN or parameter: a load balancer of the existing platform, adopted.
    adopted_listeners: int = 0
    nat_gateways: int = 0
    elastic_ips: int = 0  # EIPs (NAT gateways' included)
    interface_endpoint_azs: int = 0  # interface endpoints x subnets (each an hourly-billed ENI)
    interface_endpoints: int = 0
    log_retention_days: dict[str, int | None] = field(
        default_factory=dict
    )  # logical id -> days (None = never)
    alarm_metrics: int = 0
    dashboards: int = 0
    secrets: int = 0  # Secrets Manager secrets, RDS-managed master passwords included
    advanced_parameters: int = 0
    kms_keys: int = 0
    databases: tuple[tuple[str, bool, float, str], ...] = ()  # (class, multi-AZ, GiB, storage type)
    legacy_fleets: tuple[LegacyFleet, ...] = ()
    exports: dict[str, str] = field(default_factory=dict)  # export name -> logical id it names
    insights_clusters: frozenset[str] = frozenset()  # clusters with Container Insights on


def _resources(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {
        k: v.get("Properties", {}) for k, v in template.get("Resources", {}).items() if v.get("Type") == type_
    }


def _ref(value: Any) -> str | None:
    """The logical id behind {"Ref": id} or {"Fn::GetAtt": [id, attr]}."""
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            att = value["Fn::GetAtt"]
            return str(att[0] if isinstance(att, list) else str(att).split(".")[0])
    return None


def _int(value: Any, where: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise CostDataError(f"{where}: expected a literal number, got {value!r}") from None


def _nat_subnets(template: dict[str, Any]) -> set[str]:
    """Subnets whose route table sends traffic to a NAT gateway."""
    nat_tables = {
        _ref(p.get("RouteTableId"))
        for p in _resources(template, "AWS::EC2::Route").values()
        if "NatGatewayId" in p
    }
    return {
        str(_ref(p.get("SubnetId")))
        for p in _resources(template, "AWS::EC2::SubnetRouteTableAssociation").values()
        if _ref(p.get("RouteTableId")) in nat_tables
    }


def _services(template: dict[str, Any], stack: str) -> tuple[FargateService, ...]:
    task_defs = _resources(template, "AWS::ECS::TaskDefinition")
    subnets = set(_resources(template, "AWS::EC2::Subnet"))
    targets = _resources(template, "AWS::ApplicationAutoScaling::ScalableTarget")
    services = []
    for logical_id, props in _resources(template, "AWS::ECS::Service").items():
        where = f"{stack}/{logical_id}"
        td = task_defs.get(str(_ref(props.get("TaskDefinition"))))
        if td is None:
            raise CostDataError(f"{where}: its task definition is not in the template")
        if "FARGATE" not in td.get("RequiresCompatibilities", ["FARGATE"]):
            continue
        arch = str(td.get("RuntimePlatform", {}).get("CpuArchitecture", "X86_64")).lower()
        strategy = tuple(
            (str(s["CapacityProvider"]), int(s.get("Base", 0)), int(s.get("Weight", 0)))
            for s in props.get("CapacityProviderStrategy", [])
        ) or (("FARGATE", 0, 1),)
        network = props.get("NetworkConfiguration", {}).get("AwsvpcConfiguration", {})
        desired = _int(props.get("DesiredCount", 1), f"{where} DesiredCount")
        target_id: str | None = None
        target: dict[str, Any] = {"MinCapacity": desired, "MaxCapacity": desired}
        for key, candidate in targets.items():
            if logical_id in str(candidate.get("ResourceId")):
                target_id, target = key, candidate
                break
        cluster = props.get("Cluster")
        schedules = tuple(
            ScheduledAction(
                str(a.get("ScheduledActionName", "?")),
                str(a["Schedule"]),
                a.get("ScalableTargetAction", {}).get("MinCapacity"),
                a.get("ScalableTargetAction", {}).get("MaxCapacity"),
            )
            for a in target.get("ScheduledActions", [])
        )
        logs = [
            c.get("LogConfiguration", {}).get("Options", {}).get("awslogs-group")
            for c in td.get("ContainerDefinitions", [])
        ]
        services.append(
            FargateService(
                name=str(props.get("ServiceName", logical_id)),
                cpu_units=_int(td.get("Cpu"), f"{where} task Cpu"),
                memory_mib=_int(td.get("Memory"), f"{where} task Memory"),
                architecture="arm64" if arch == "arm64" else "x86_64",
                strategy=strategy,
                public_ip=network.get("AssignPublicIp") == "ENABLED",
                desired_count=desired,
                min_capacity=_int(target["MinCapacity"], f"{where} MinCapacity"),
                max_capacity=_int(target["MaxCapacity"], f"{where} MaxCapacity"),
                schedules=schedules,
                log_group=next((_ref(g) for g in logs if _ref(g)), None),
                subnets_outside=any(_ref(s) not in subnets for s in network.get("Subnets", [])),
                requests_per_target=_request_target(template, target_id),
                cluster=_ref(cluster)
                or (
                    str(cluster["Fn::ImportValue"])
                    if isinstance(cluster, dict) and "Fn::ImportValue" in cluster
                    else None
                ),
                container_insights=_ref(cluster) in _insights_clusters(template),
            )
        )
    return tuple(services)


def _request_target(template: dict[str, Any], target_id: str | None) -> float | None:
    """The request-count target (per target per minute) of the scalable target's tracking policies."""
    if target_id is None:
        return None
    for props in _resources(template, "AWS::ApplicationAutoScaling::ScalingPolicy").values():
        config = props.get("TargetTrackingScalingPolicyConfiguration", {})
        metric = config.get("PredefinedMetricSpecification", {}).get("PredefinedMetricType")
        if metric == "ALBRequestCountPerTarget" and _ref(props.get("ScalingTargetId")) == target_id:
            return float(config["TargetValue"])
    return None


def _insights_clusters(template: dict[str, Any]) -> frozenset[str]:
    """Clusters with Container Insights on (standard or enhanced): they publish billed custom metrics."""
    return frozenset(
        k
        for k, p in _resources(template, "AWS::ECS::Cluster").items()
        if any(
            s.get("Name") == "containerInsights" and s.get("Value") in ("enabled", "enhanced")
            for s in p.get("ClusterSettings", [])
        )
    )


def _legacy(template: dict[str, Any], stack: str) -> tuple[LegacyFleet, ...]:
    templates = _resources(template, "AWS::EC2::LaunchTemplate")
    behind_nat = _nat_subnets(template)
    fleets = []
    for logical_id, asg in _resources(template, "AWS::AutoScaling::AutoScalingGroup").items():
        where = f"{stack}/{logical_id}"
        lt = templates.get(str(_ref(asg.get("LaunchTemplate", {}).get("LaunchTemplateId"))))
        if lt is None:
            raise CostDataError(f"{where}: its launch template is not in the template")
        data = lt.get("LaunchTemplateData", {})
        volumes = [m.get("Ebs", {}) for m in data.get("BlockDeviceMappings", []) if "Ebs" in m]
        nics = data.get("NetworkInterfaces", [{}])
        subnets = {_ref(s) for s in asg.get("VPCZoneIdentifier", [])}
        count = asg.get("DesiredCapacity", asg.get("MinSize", 1))
        fleets.append(
            LegacyFleet(
                instance_type=str(data.get("InstanceType")),
                count=_int(count, f"{where} DesiredCapacity/MinSize"),
                volume_gib=float(sum(float(v.get("VolumeSize", 8)) for v in volumes) or 8),
                volume_type=str(volumes[0].get("VolumeType", "gp2")) if volumes else "gp2",
                public_ip=bool(nics and nics[0].get("AssociatePublicIpAddress", False)),
                behind_nat=bool(subnets & behind_nat),
            )
        )
    return tuple(fleets)


def _alarm_metrics(props: dict[str, Any]) -> int:
    """CloudWatch bills an alarm per metric it reads (metric math: each metric, not the expression)."""
    if "Metrics" in props:
        return max(1, sum(1 for m in props["Metrics"] if "MetricStat" in m))
    return 1


def _foreign_listeners(template: dict[str, Any], own_listeners: set[str]) -> tuple[tuple[str, ...], int]:
    """Listeners of other stacks this template adds rules to: export names, and how many listeners it
    names directly (an ARN or a parameter: a load balancer adopted from the existing platform)."""
    imported, adopted = set(), set()
    for props in _resources(template, "AWS::ElasticLoadBalancingV2::ListenerRule").values():
        arn = props.get("ListenerArn")
        if _ref(arn) in own_listeners:
            continue
        if isinstance(arn, dict) and "Fn::ImportValue" in arn:
            imported.add(str(arn["Fn::ImportValue"]))
        else:
            adopted.add(repr(arn))
    return tuple(sorted(imported)), len(adopted)


def read_template(stack: str, template: dict[str, Any]) -> Inventory:
    """The template's billable inventory."""
    res = template.get("Resources")
    if not isinstance(res, dict):
        raise CostDataError(f"{stack}: not a CloudFormation template (no Resources)")
    lbs = tuple(
        LoadBalancer(k, len(p.get("Subnets", p.get("SubnetMappings", []))), p.get("Scheme") != "internal")
        for k, p in _resources(template, "AWS::ElasticLoadBalancingV2::LoadBalancer").items()
        if p.get("Type", "application") == "application"
    )
    listeners = _resources(template, "AWS::ElasticLoadBalancingV2::Listener")
    endpoints = [
        p
        for p in _resources(template, "AWS::EC2::VPCEndpoint").values()
        if p.get("VpcEndpointType") == "Interface"
    ]
    rds = _resources(template, "AWS::RDS::DBInstance")
    foreign = _foreign_listeners(template, set(listeners))
    exports: dict[str, str] = {}
    for output in template.get("Outputs", {}).values():
        name = output.get("Export", {}).get("Name")
        target = _ref(output.get("Value"))
        if isinstance(name, str) and target:
            # a listener's export names the listener's load balancer
            lb = _ref(listeners.get(target, {}).get("LoadBalancerArn")) or target
            exports[name] = lb
    return Inventory(
        stack=stack,
        services=_services(template, stack),
        load_balancers=lbs,
        nat_gateways=len(_resources(template, "AWS::EC2::NatGateway")),
        elastic_ips=len(_resources(template, "AWS::EC2::EIP")),
        interface_endpoint_azs=sum(len(p.get("SubnetIds", [])) for p in endpoints),
        interface_endpoints=len(endpoints),
        log_retention_days={
            k: (int(p["RetentionInDays"]) if "RetentionInDays" in p else None)
            for k, p in _resources(template, "AWS::Logs::LogGroup").items()
        },
        alarm_metrics=sum(_alarm_metrics(p) for p in _resources(template, "AWS::CloudWatch::Alarm").values()),
        dashboards=len(_resources(template, "AWS::CloudWatch::Dashboard")),
        secrets=len(_resources(template, "AWS::SecretsManager::Secret"))
        + sum(1 for p in rds.values() if p.get("ManageMasterUserPassword") in (True, "true")),
        advanced_parameters=sum(
            1 for p in _resources(template, "AWS::SSM::Parameter").values() if p.get("Tier") == "Advanced"
        ),
        kms_keys=len(_resources(template, "AWS::KMS::Key")),
        databases=tuple(
            (
                str(p.get("DBInstanceClass")),
                p.get("MultiAZ") in (True, "true"),
                float(p.get("AllocatedStorage", 20)),
                str(p.get("StorageType", "gp2")),
            )
            for p in rds.values()
        ),
        legacy_fleets=_legacy(template, stack),
        borrowed_listeners=foreign[0],
        adopted_listeners=foreign[1],
        exports=exports,
        insights_clusters=_insights_clusters(template),
    )
