"""Per-environment profiles: sizes, scaling, domains, costs and feature switches, as data.

A profile is the only place where environments differ. Stacks and constructs read it; they never branch on
the environment's name.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from macro_ai_contract import Environment, load_environments

# Log retention values CloudWatch accepts (days); profiles must pick one of them.
VALID_LOG_RETENTION_DAYS = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)
# Fargate CPU units -> allowed memory (MiB).
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
}


@dataclass(frozen=True)
class Schedule:
    """A scheduled change of the scaling bounds (cron in UTC, Application Auto Scaling syntax)."""

    name: str
    minute: str
    hour: str
    week_day: str
    min_capacity: int
    max_capacity: int


@dataclass(frozen=True)
class AlarmThresholds:
    target_5xx_rate_percent: float  # 5xx responses of a target group / its requests, per minute
    p99_latency_seconds: float  # TargetResponseTime p99
    unhealthy_hosts: int  # UnHealthyHostCount >= this
    cpu_percent: float
    memory_percent: float
    evaluation_periods: int = 3  # one-minute periods
    datapoints_to_alarm: int = 2


@dataclass(frozen=True)
class ExistingVpc:
    """An existing VPC imported by id without lookups (all attributes are data)."""

    vpc_id: str
    vpc_cidr: str
    availability_zones: tuple[str, ...]
    public_subnet_ids: tuple[str, ...]
    private_subnet_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class LegacyFleetConfig:
    """The EC2 fleet of the old Node.js API, as it runs today."""

    instance_type: str = "t4g.small"
    min_size: int = 1
    max_size: int = 2
    desired_capacity: int = 1
    node_major_version: int = 20
    # Release artifact of the old API (a tarball with package.json and dist/), built by the old pipeline.
    artifact_bucket: str = "macro-ai-legacy-artifacts"
    artifact_key: str = "api/macro-ai-api-legacy.tar.gz"
    health_check_path: str = "/api/health"


@dataclass(frozen=True)
class DatabaseConfig:
    """RDS PostgreSQL for environments that do not bring their own database URL."""

    instance_class: str = "db.t4g.micro"
    allocated_storage_gib: int = 20
    max_allocated_storage_gib: int = 100
    engine_version: str = "17.6"
    multi_az: bool = False
    backup_retention_days: int = 7
    deletion_protection: bool = True


@dataclass(frozen=True)
class RateLimits:
    max_requests: int = 100
    window_seconds: int = 900
    auth_max_requests: int = 10
    auth_window_seconds: int = 900
    api_max_requests: int = 1000
    api_window_seconds: int = 3600


# Working hours in UTC: previews and the hobby environment sleep outside them.
WORKDAY_START = Schedule("WorkdayStart", "0", "7", "MON-FRI", 1, 1)
WORKDAY_STOP = Schedule("WorkdayStop", "0", "19", "MON-FRI", 0, 0)


@dataclass(frozen=True)
class Profile:
    key: str  # an environment of environments.json, or "preview" for every pull request's stack
    region: str
    # sizing
    cpu: int  # Fargate CPU units
    memory_mib: int
    min_capacity: int
    max_capacity: int
    spot: bool  # Fargate Spot (previews) or on-demand Fargate
    cpu_target_percent: int
    memory_target_percent: int
    requests_per_target: int | None  # ALB requests per target per minute; None = no request-count scaling
    schedules: tuple[Schedule, ...]
    # deploy behaviour
    health_check_grace_seconds: int
    deregistration_delay_seconds: int
    # observability
    alarms: AlarmThresholds
    container_insights: bool
    # domains (hosted zone imported from data: no lookups)
    domain_name: str
    hosted_zone_id: str
    api_host_prefix: str  # api -> api.<domain>
    cors_allowed_origins: tuple[str, ...]  # "{domain}" is replaced by domain_name
    # network
    vpc_cidr: str
    nat_gateways: int  # 0 = tasks in public subnets (no inbound except from the ALB)
    vpc_endpoints: bool  # interface/gateway endpoints for private tasks
    existing_vpc: ExistingVpc | None
    # features
    legacy_fleet: bool  # False = EC2 cleanup done: the legacy fleet and its weights are gone
    legacy: LegacyFleetConfig
    database: DatabaseConfig | None  # None = the environment brings its own RELATIONAL_DATABASE_URL
    # cost
    budget_monthly_usd: int
    budget_alert_emails: tuple[str, ...]
    # app settings (non-secret)
    log_level: str = "info"
    ai_provider: str = "openai"
    openai_model: str = "gpt-4o-mini"
    openai_base_url: str = ""
    refresh_token_expiry_days: int = 30
    rate_limits: RateLimits = field(default_factory=RateLimits)
    alb_idle_timeout_seconds: int = 120  # chat responses stream; keep above the longest expected stream gap
    retain_data: bool = True  # RETAIN ECR/secrets/log groups/DB on stack deletion
    image_tag_default: str = "latest-release"  # only a placeholder default; CI always passes ImageTag
    preview_ttl_hours: int = 0
    stack_id: str = ""  # "" = the environment table's stack name; tests synthesize variants beside it

    @property
    def env(self) -> Environment:
        """This profile's facts in the environment table (for previews: their shared configuration)."""
        table = load_environments()
        return table.preview_config if self.key == "preview" else table.resolve(self.key)

    @property
    def environment(self) -> str:
        """The configuration namespace: Parameter Store / Secrets Manager / tag environment name."""
        return self.env.config_name

    @property
    def app_env(self) -> str:
        return self.env.app_env

    @property
    def stack_name(self) -> str:
        return self.stack_id or self.env.stack_name or load_environments().preview_shared_stack

    @property
    def log_retention_days(self) -> int:
        table = load_environments()
        return table.log_retention_days[self.env.log_retention or table.preview_log_retention]

    @property
    def cost_center(self) -> str:
        return f"macro-ai-{self.environment}"

    def api_host(self, pr: int | None = None) -> str:
        if pr is not None:
            return load_environments().preview_api_host(pr, self.domain_name)
        return f"{self.api_host_prefix}.{self.domain_name}"

    def validate(self) -> Profile:
        problems: list[str] = []
        if self.memory_mib not in FARGATE_SIZES.get(self.cpu, ()):
            problems.append(f"cpu {self.cpu} / memory {self.memory_mib} is not a Fargate size")
        if not 0 <= self.min_capacity <= self.max_capacity:
            problems.append("scaling bounds need 0 <= min_capacity <= max_capacity")
        if self.log_retention_days not in VALID_LOG_RETENTION_DAYS:
            problems.append(f"log retention {self.log_retention_days} is not a CloudWatch value")
        if self.nat_gateways == 0 and self.vpc_endpoints:
            problems.append("VPC endpoints are for private tasks; a profile without NAT has public tasks")
        if self.deregistration_delay_seconds > 300:
            problems.append("deregistration delay above 300 s makes every rolling step slow")
        for s in self.schedules:
            if s.min_capacity > s.max_capacity:
                problems.append(f"schedule {s.name}: min > max")
        if problems:
            raise ValueError(f"profile {self.key}: " + "; ".join(problems))
        return self


_COMMON_DOMAIN = "macro-ai.example.com"
_COMMON_ZONE = "Z0000000000000000000A"  # set the real hosted zone id here (or -c hosted_zone_id=...)

HOBBY = Profile(
    key="hobby",
    region="us-east-1",
    cpu=256,
    memory_mib=512,
    min_capacity=1,
    max_capacity=2,
    spot=False,
    cpu_target_percent=70,
    memory_target_percent=80,
    requests_per_target=1000,
    schedules=(),
    health_check_grace_seconds=30,
    deregistration_delay_seconds=30,
    alarms=AlarmThresholds(5.0, 3.0, 1, 90, 90),
    container_insights=True,
    domain_name=_COMMON_DOMAIN,
    hosted_zone_id=_COMMON_ZONE,
    api_host_prefix="api-dev",
    cors_allowed_origins=("https://dev.{domain}",),
    vpc_cidr="10.20.0.0/16",
    nat_gateways=0,
    vpc_endpoints=False,
    existing_vpc=None,
    legacy_fleet=True,
    legacy=LegacyFleetConfig(),
    database=None,
    budget_monthly_usd=80,
    budget_alert_emails=(),
    log_level="debug",
    retain_data=False,
)

STAGING = Profile(
    key="staging",
    region="us-east-1",
    cpu=512,
    memory_mib=1024,
    min_capacity=2,
    max_capacity=4,
    spot=False,
    cpu_target_percent=60,
    memory_target_percent=75,
    requests_per_target=800,
    schedules=(),
    health_check_grace_seconds=30,
    deregistration_delay_seconds=30,
    alarms=AlarmThresholds(2.0, 2.5, 1, 85, 85),
    container_insights=True,
    domain_name=_COMMON_DOMAIN,
    hosted_zone_id=_COMMON_ZONE,
    api_host_prefix="api-staging",
    cors_allowed_origins=("https://staging.{domain}",),
    vpc_cidr="10.30.0.0/16",
    nat_gateways=1,
    vpc_endpoints=True,
    existing_vpc=None,
    legacy_fleet=True,
    legacy=LegacyFleetConfig(),
    database=DatabaseConfig(),
    budget_monthly_usd=250,
    budget_alert_emails=(),
)

PRODUCTION = Profile(
    key="production",
    region="us-east-1",
    cpu=512,
    memory_mib=1024,
    min_capacity=2,
    max_capacity=12,
    spot=False,
    cpu_target_percent=60,
    memory_target_percent=75,
    requests_per_target=1000,
    # Business-hours floor: scale out before the morning peak (UTC), relax at night.
    schedules=(
        Schedule("BusinessHoursFloor", "30", "6", "MON-FRI", 3, 12),
        Schedule("NightFloor", "0", "20", "MON-FRI", 2, 12),
    ),
    health_check_grace_seconds=30,
    deregistration_delay_seconds=30,
    alarms=AlarmThresholds(1.0, 2.0, 1, 80, 80),
    container_insights=True,
    domain_name=_COMMON_DOMAIN,
    hosted_zone_id=_COMMON_ZONE,
    api_host_prefix="api",
    cors_allowed_origins=("https://{domain}", "https://www.{domain}"),
    vpc_cidr="10.40.0.0/16",
    nat_gateways=2,
    vpc_endpoints=True,
    existing_vpc=None,
    legacy_fleet=True,
    legacy=LegacyFleetConfig(instance_type="t4g.medium", min_size=2, max_size=4, desired_capacity=2),
    database=None,  # production shares the legacy fleet's database during the migration
    budget_monthly_usd=500,
    budget_alert_emails=(),
    log_level="info",
)

PREVIEW = Profile(
    key="preview",  # replaced by pr-<n> per preview stack
    region="us-east-1",
    cpu=256,
    memory_mib=512,
    min_capacity=0,
    max_capacity=1,
    spot=True,
    cpu_target_percent=80,
    memory_target_percent=85,
    requests_per_target=None,
    schedules=(WORKDAY_START, WORKDAY_STOP),
    health_check_grace_seconds=30,
    deregistration_delay_seconds=5,
    alarms=AlarmThresholds(10.0, 5.0, 1, 95, 95),
    container_insights=True,
    domain_name=_COMMON_DOMAIN,
    hosted_zone_id=_COMMON_ZONE,
    api_host_prefix="api-preview",
    cors_allowed_origins=(),  # per preview: https://pr-<n>.<domain>
    vpc_cidr="10.50.0.0/16",
    nat_gateways=0,
    vpc_endpoints=False,
    existing_vpc=None,
    legacy_fleet=False,
    legacy=LegacyFleetConfig(),
    database=None,
    budget_monthly_usd=100,
    budget_alert_emails=(),
    log_level="debug",
    ai_provider="offline",
    retain_data=False,
    preview_ttl_hours=72,
)

PROFILES: dict[str, Profile] = {p.key: p.validate() for p in (HOBBY, STAGING, PRODUCTION, PREVIEW)}
# Every deployed environment of the table has a profile (a test checks it); previews share one.
LONG_LIVED = tuple(env.name for env in load_environments().deployed())


def with_overrides(profile: Profile, context: dict[str, object]) -> Profile:
    """Apply the few CDK context overrides that are deployment data rather than design (domain, zone)."""
    domain = str(context.get("domain_name") or profile.domain_name)
    zone = str(context.get("hosted_zone_id") or profile.hosted_zone_id)
    if (domain, zone) == (profile.domain_name, profile.hosted_zone_id):
        return profile
    return replace(profile, domain_name=domain, hosted_zone_id=zone).validate()
