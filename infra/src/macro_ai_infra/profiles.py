"""The profiles: one base, and per environment only what differs from it (sizes, scaling, network, database).

Profiles are looked up by the environment table's name (``profile_for``); ``register_profile`` adds one, so an
environment added to the table needs its entry there plus one ``replace(BASE, ...)`` here (or in a test).
"""

from __future__ import annotations

from dataclasses import replace

from macro_ai_contract import load_contract, load_environments
from macro_ai_contract.config_locations import ConfigLocations, config_locations

from macro_ai_infra.profile import (
    AdoptedPlatform,
    AlarmThresholds,
    ExistingVpc,
    ExternalDatabase,
    LegacyFleetConfig,
    PredictiveScaling,
    Profile,
    Schedule,
    SharedPlatform,
    StackDatabase,
)

# Working hours in UTC: previews and the hobby environment sleep outside them (nights and weekends).
WORKDAY_START = Schedule("WorkdayStart", "0", "7", "MON-FRI", 1, 1)
WORKDAY_STOP = Schedule("WorkdayStop", "0", "19", "MON-FRI", 0, 0)

_DOMAIN = "macro-ai.example.com"
_ZONE = "Z0000000000000000000A"  # set the real hosted zone id here (or -c hosted_zone_id=...)
# Placeholders of the platform that serves users today: TO FILL before the first production deploy
# (docs/infra.md, "Adopt mode", says where an operator reads each one).
_TO_FILL = "0000000000000000"  # 16 hex: load balancer, listener and target group ids
_TO_FILL_EC2 = "0" * 17  # 17 hex: VPC, subnet and security group ids


def config_locations_of(environment: str) -> ConfigLocations:
    """Where an environment's operator-owned configuration lives (the table decides, for config push too)."""
    return config_locations(load_environments().resolve(environment), load_contract())


BASE = Profile(
    key="base",
    region="us-east-1",
    cpu=256,
    memory_mib=512,
    min_capacity=1,
    max_capacity=2,
    spot=True,
    cpu_target_percent=70,
    memory_target_percent=80,
    requests_per_target=1000,
    schedules=(),
    predictive=None,
    health_check_grace_seconds=30,
    sticky_seconds=0,
    alarms=AlarmThresholds(5.0, 3.0, 1, 90, 90),
    # Off everywhere: no alarm or dashboard reads ECS/ContainerInsights (running tasks come from AWS/ECS
    # CPUUtilization SampleCount, hosts from the target group), and its ~38 metrics a service cost more than
    # the per-task drill-down is worth day to day. Turn it on in a profile for an investigation.
    container_insights=False,
    domain_name=_DOMAIN,
    hosted_zone_id=_ZONE,
    api_host_prefix="api",
    cors_allowed_origins=(),
    platform=None,
    vpc_cidr="10.20.0.0/16",
    nat_gateways=0,
    nat_reason="",
    vpc_endpoints=False,
    existing_vpc=None,
    legacy_fleet=False,
    legacy=LegacyFleetConfig(),
    # The old service's database: Neon over the internet with verified TLS.
    database=ExternalDatabase(host="ep-to-fill.us-east-1.aws.neon.tech"),
    budget_monthly_usd=50,
    budget_alert_emails=(),
    anomaly_threshold_usd=10,
)

HOBBY = replace(
    BASE,
    key="hobby",
    api_host_prefix="api-dev",
    cors_allowed_origins=("https://dev.{domain}",),
    # Through a host rule on the shared preview load balancer: no load balancer of its own.
    platform=SharedPlatform(rule_priority=50000),
    schedules=(WORKDAY_START, WORKDAY_STOP),
    budget_monthly_usd=40,
    log_level="debug",
    retain_data=False,
)

STAGING = replace(
    BASE,
    key="staging",
    # Production's task size (BASE's 0.25 vCPU / 512 MiB): the rehearsal runs what production runs, and the
    # sizing rule says it serves staging's 5 req/s on one task.
    min_capacity=2,
    max_capacity=4,
    cpu_target_percent=60,
    memory_target_percent=75,
    requests_per_target=800,
    alarms=AlarmThresholds(2.0, 2.5, 1, 85, 85),
    api_host_prefix="api-staging",
    cors_allowed_origins=("https://staging.{domain}",),
    vpc_cidr="10.30.0.0/16",
    # Self-contained: own VPC, load balancer and a modelled legacy fleet, to rehearse the migration on AWS.
    legacy_fleet=True,
    sticky_seconds=3600,
    database=StackDatabase(),
    budget_monthly_usd=150,
    anomaly_threshold_usd=20,
)

PRODUCTION = replace(
    BASE,
    key="production",
    # Sized by the rule of macro_ai_contract.sizing from the measured capacity (docs/capacity.json) and the
    # expected load (deploy/.../cost/loads.json): 0.25 vCPU serves the 40 req/s peak on one task with 30 %
    # headroom; 512 MiB holds the API (about 125 MiB resident under load). test_cost_sizing_rule.py fails
    # when the size differs from the rule's answer (docs/infra.md, "Sizing").
    cpu=256,
    memory_mib=512,
    # Two tasks, one per zone: availability (a zone or a task lost still serves), not capacity.
    min_capacity=2,
    max_capacity=12,
    spot=False,
    cpu_target_percent=60,
    memory_target_percent=75,
    # Requests per task per minute before scaling out: below what a 0.25 vCPU task serves on the sizing
    # route with its headroom (about 5,950 a minute; the test checks it), above the 1,200 each of the two
    # tasks sees at the 40 req/s peak, so the floor serves the expected peak without flapping.
    requests_per_target=4000,
    # No schedule: the floor of 2 already serves the peak; predictive scaling and target tracking add
    # tasks ahead of and during any load above it.
    schedules=(),
    predictive=PredictiveScaling(forecast_only=True),
    sticky_seconds=3600,
    alarms=AlarmThresholds(1.0, 2.0, 1, 80, 80),
    cors_allowed_origins=("https://{domain}", "https://www.{domain}"),
    platform=AdoptedPlatform(
        vpc=ExistingVpc(
            vpc_id=f"vpc-{_TO_FILL_EC2}",
            vpc_cidr="172.31.0.0/16",
            availability_zones=("us-east-1a", "us-east-1b"),
            public_subnet_ids=(f"subnet-{_TO_FILL_EC2[:-1]}a", f"subnet-{_TO_FILL_EC2[:-1]}b"),
        ),
        https_listener_arn=(
            "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/app/macro-ai-api/"
            f"{_TO_FILL}/{_TO_FILL}"
        ),
        legacy_target_group_arn=(
            f"arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/macro-ai-api/{_TO_FILL}"
        ),
        load_balancer_security_group_id=f"sg-{_TO_FILL_EC2}",
        # The running fleet's Parameter Store names of its secrets and operator items (environments.json).
        existing_parameters=tuple(config_locations_of("production").parameters.items()),
    ),
    budget_monthly_usd=300,
    anomaly_threshold_usd=30,
)

PREVIEW = replace(
    BASE,
    key="preview",
    min_capacity=0,
    max_capacity=1,
    cpu_target_percent=80,
    memory_target_percent=85,
    requests_per_target=None,
    schedules=(WORKDAY_START, WORKDAY_STOP),
    alarms=AlarmThresholds(10.0, 5.0, 1, 95, 95),
    api_host_prefix="api-preview",
    vpc_cidr="10.50.0.0/16",
    database=ExternalDatabase(host="ep-previews-to-fill.us-east-1.aws.neon.tech"),
    budget_monthly_usd=60,
    log_level="debug",
    ai_provider="offline",
    retain_data=False,
    preview_ttl_hours=72,
    serves_previews=True,
)

_PROFILES: dict[str, Profile] = {}


def register_profile(profile: Profile) -> Profile:
    """Add (or replace) the profile of the table entry named ``profile.key``."""
    _PROFILES[profile.key] = profile.validate()
    return profile


def unregister_profile(key: str) -> None:
    _PROFILES.pop(key, None)


def profile_for(name: str) -> Profile:
    try:
        return _PROFILES[name]
    except KeyError:
        raise KeyError(f"no profile for environment {name!r}: add one in macro_ai_infra.profiles") from None


def registered() -> dict[str, Profile]:
    return dict(_PROFILES)


def deployed_profiles() -> list[Profile]:
    """The profile of every deployed environment of the table, in table order (KeyError if one has none)."""
    return [profile_for(env.name) for env in load_environments().deployed()]


def preview_profile() -> Profile:
    return profile_for(PREVIEW.key)


for _profile in (HOBBY, STAGING, PRODUCTION, PREVIEW):
    register_profile(_profile)


def with_overrides(profile: Profile, context: dict[str, object]) -> Profile:
    """Apply the few CDK context overrides that are deployment data rather than design (domain, zone)."""
    domain = str(context.get("domain_name") or profile.domain_name)
    zone = str(context.get("hosted_zone_id") or profile.hosted_zone_id)
    if (domain, zone) == (profile.domain_name, profile.hosted_zone_id):
        return profile
    return replace(profile, domain_name=domain, hosted_zone_id=zone).validate()
