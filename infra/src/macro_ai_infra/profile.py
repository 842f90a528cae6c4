"""The shape of a profile: what may differ between environments (sizes, scaling, network, platform, database).

Data only, no CDK. The environment's facts (stack name, configuration namespace, APP_ENV, log retention) are
not repeated here: they come from the table of environments (``macro_ai_contract.load_environments``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from macro_ai_contract import Environment, load_environments
from macro_ai_contract.fargate import FARGATE_SIZES

# Log retention values CloudWatch accepts (days); the table's classes must map to one of them.
VALID_LOG_RETENTION_DAYS = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)
POSTGRES_PORT = 5432
# The TLS mode a database outside the stack must be reached with (the URL's sslmode).
REQUIRED_EXTERNAL_SSLMODE = "verify-full"


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
class PredictiveScaling:
    """Application Auto Scaling predictive scaling on CPU.

    ``forecast_only`` until the service has the history the forecast needs (AWS asks for at least 24 h,
    two weeks give weekly patterns), then set it to False: forecast and scale.
    """

    forecast_only: bool = True
    cpu_target_percent: int = 50
    scheduling_buffer_seconds: int = 300  # launch this early, before the forecast load arrives


@dataclass(frozen=True)
class AlarmThresholds:
    target_5xx_rate_percent: float  # 5xx responses of a target group / its requests, per minute
    p99_latency_seconds: float  # TargetResponseTime p99
    unhealthy_hosts: int  # UnHealthyHostCount >= this
    cpu_percent: float
    memory_percent: float
    elb_5xx_count: int = 5  # 5xx the load balancer itself generated, per minute
    connection_errors: int = 5  # TargetConnectionErrorCount per minute
    unhandled_errors: int = 1  # "unhandled" error log lines per minute
    evaluation_periods: int = 3  # one-minute periods
    datapoints_to_alarm: int = 2


@dataclass(frozen=True)
class LegacyFleetConfig:
    """The EC2 fleet of the old Node.js API, modelled as it runs today (self-contained mode only)."""

    instance_type: str = "t4g.small"
    min_size: int = 1
    max_size: int = 2
    desired_capacity: int = 1
    node_major_version: int = 20
    # The machine image is pinned by id (an SSM parameter name of a public AMI would change on every deploy
    # that happens after AWS publishes a new image, replacing the fleet on an image-only deploy).
    machine_image_id: str = "ami-0123456789abcdef0"  # to fill: the AMI the fleet runs today
    # Release artifact of the old API (a tarball with package.json and dist/), built by the old pipeline.
    artifact_bucket: str = "macro-ai-legacy-artifacts"
    artifact_key: str = "api/macro-ai-api-legacy.tar.gz"
    health_check_path: str = "/api/health"


# --- where the database is (one of three): the task's security group is derived from it


@dataclass(frozen=True)
class StackDatabase:
    """RDS PostgreSQL built by the stack; the app connects as its own least-privileged role."""

    instance_class: str = "db.t4g.micro"
    allocated_storage_gib: int = 20
    max_allocated_storage_gib: int = 100
    engine_version: str = "17.6"
    multi_az: bool = False
    backup_retention_days: int = 7
    deletion_protection: bool = True
    port: int = POSTGRES_PORT
    database_name: str = "macroai"
    app_user: str = "macroai_app"


@dataclass(frozen=True)
class SecurityGroupDatabase:
    """A database in the same VPC, reached through its existing security group (the stack adds ingress)."""

    security_group_id: str
    port: int = POSTGRES_PORT


@dataclass(frozen=True)
class ExternalDatabase:
    """A database outside AWS networking (e.g. Neon), reached over the internet with verified TLS.

    Security groups cannot name a host, so egress is to ``cidrs`` (the provider's published ranges when it has
    them, else anywhere) on ``port`` only; the URL must carry ``sslmode=verify-full``.
    """

    host: str
    port: int = POSTGRES_PORT
    cidrs: tuple[str, ...] = ("0.0.0.0/0",)
    sslmode: str = REQUIRED_EXTERNAL_SSLMODE


DatabasePlacement = StackDatabase | SecurityGroupDatabase | ExternalDatabase


# --- the platform a stack builds into


@dataclass(frozen=True)
class ExistingVpc:
    """An existing VPC imported by id without lookups (all attributes are data)."""

    vpc_id: str
    vpc_cidr: str
    availability_zones: tuple[str, ...]
    public_subnet_ids: tuple[str, ...]
    private_subnet_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class AdoptedPlatform:
    """The platform serving users today, named by its identifiers (docs/infra.md says where each comes from).

    The stack builds only the ECS side into it: a target group and service in ``vpc``, and a listener rule on
    ``https_listener_arn`` that forwards by weight to ``legacy_target_group_arn`` and the ECS target group.
    Removing the rule hands traffic back to the listener's untouched default action.
    """

    vpc: ExistingVpc
    https_listener_arn: str
    legacy_target_group_arn: str | None  # None after the EC2 cleanup: the rule forwards to ECS only
    load_balancer_security_group_id: str
    rule_priority: int = 1  # evaluated before every other rule and the default action
    # Contract secret / operator parameter name -> the Parameter Store name the running fleet reads it from.
    existing_parameters: tuple[tuple[str, str], ...] = ()

    @property
    def load_balancer_full_name(self) -> str:
        """``app/<name>/<id>`` (the CloudWatch dimension), from the listener ARN."""
        return "/".join(self.https_listener_arn.split(":listener/", 1)[1].split("/")[:3])

    @property
    def legacy_target_group_full_name(self) -> str | None:
        """``targetgroup/<name>/<id>`` (the CloudWatch dimension), from the target group ARN."""
        if self.legacy_target_group_arn is None:
            return None
        return "targetgroup/" + self.legacy_target_group_arn.split(":targetgroup/", 1)[1]


@dataclass(frozen=True)
class SharedPlatform:
    """Served through a host rule on the shared preview load balancer (cluster and VPC of the previews)."""

    rule_priority: int  # unique on the shared listener; previews use their PR number (1..50000)


PlatformPlacement = AdoptedPlatform | SharedPlatform | None  # None: the stack builds its own (self-contained)


@dataclass(frozen=True)
class RateLimits:
    max_requests: int = 100
    window_seconds: int = 900
    auth_max_requests: int = 10
    auth_window_seconds: int = 900
    api_max_requests: int = 1000
    api_window_seconds: int = 3600


@dataclass(frozen=True)
class Profile:
    key: str  # an environment of environments.json, or the previews' configuration name
    region: str
    # sizing
    cpu: int  # Fargate CPU units
    memory_mib: int
    min_capacity: int
    max_capacity: int
    spot: bool  # Fargate Spot (interruptions allowed) or on-demand Fargate
    cpu_target_percent: int
    memory_target_percent: int
    requests_per_target: int | None  # ALB requests per target per minute; None = no request-count scaling
    schedules: tuple[Schedule, ...]
    predictive: PredictiveScaling | None
    # deploy behaviour
    health_check_grace_seconds: int
    sticky_seconds: int  # > 0: target-group stickiness during the weighted phase (a user stays on one fleet)
    # observability
    alarms: AlarmThresholds
    container_insights: bool
    # domains (hosted zone imported from data: no lookups)
    domain_name: str
    hosted_zone_id: str
    api_host_prefix: str  # api -> api.<domain>
    cors_allowed_origins: tuple[str, ...]  # "{domain}" is replaced by domain_name
    # network
    platform: PlatformPlacement
    vpc_cidr: str  # own VPC (self-contained mode)
    nat_gateways: int  # 0 = tasks in public subnets with a public IP (inbound only from the ALB)
    nat_reason: str  # why this profile pays for NAT (required when nat_gateways > 0)
    vpc_endpoints: bool  # interface endpoints for private tasks
    existing_vpc: ExistingVpc | None  # self-contained mode in an existing VPC
    # features
    legacy_fleet: bool  # False = EC2 cleanup done: the legacy fleet and its weights are gone
    legacy: LegacyFleetConfig
    database: DatabasePlacement
    # cost
    budget_monthly_usd: int
    budget_alert_emails: tuple[str, ...]
    anomaly_threshold_usd: int  # Cost Anomaly Detection: alert on an anomaly's impact above this
    # app settings (non-secret)
    log_level: str = "info"
    ai_provider: str = "openai"
    openai_model: str = "gpt-4o-mini"
    openai_base_url: str = ""
    refresh_token_expiry_days: int = 30
    rate_limits: RateLimits = field(default_factory=RateLimits)
    retain_data: bool = True  # RETAIN ECR/secrets/log groups/DB on stack deletion
    image_tag_default: str = "latest-release"  # only a placeholder default; CI always passes ImageTag
    preview_ttl_hours: int = 0
    serves_previews: bool = (
        False  # the previews' shared profile: configuration from the table's preview entry
    )
    stack_id: str = ""  # "" = the environment table's stack name; tests synthesize variants beside it

    @property
    def env(self) -> Environment:
        """This profile's facts in the environment table (for previews: their shared configuration)."""
        table = load_environments()
        return table.preview_config if self.serves_previews else table.resolve(self.key)

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

    @property
    def adopted(self) -> AdoptedPlatform | None:
        return self.platform if isinstance(self.platform, AdoptedPlatform) else None

    @property
    def has_legacy_fleet(self) -> bool:
        """A legacy target group to split traffic with: the adopted one, or the modelled fleet."""
        if self.adopted is not None:
            return self.adopted.legacy_target_group_arn is not None
        return self.legacy_fleet and self.platform is None

    def api_host(self, pr: int | None = None) -> str:
        if pr is not None:
            return load_environments().preview_api_host(pr, self.domain_name)
        return f"{self.api_host_prefix}.{self.domain_name}"

    def validate(self) -> Profile:
        problems = list(_problems(self))
        if problems:
            raise ValueError(f"profile {self.key}: " + "; ".join(problems))
        return self


def _problems(p: Profile) -> list[str]:
    problems: list[str] = []
    if p.memory_mib not in FARGATE_SIZES.get(p.cpu, ()):
        problems.append(f"cpu {p.cpu} / memory {p.memory_mib} is not a Fargate size")
    if not 0 <= p.min_capacity <= p.max_capacity:
        problems.append("scaling bounds need 0 <= min_capacity <= max_capacity")
    if p.log_retention_days not in VALID_LOG_RETENTION_DAYS:
        problems.append(f"log retention {p.log_retention_days} is not a CloudWatch value")
    if p.nat_gateways == 0 and p.vpc_endpoints:
        problems.append("VPC endpoints are for private tasks; a profile without NAT has public tasks")
    if p.nat_gateways > 0 and not p.nat_reason.strip():
        problems.append("a profile that pays for NAT gateways states why (nat_reason)")
    if p.platform is not None and (p.nat_gateways or p.vpc_endpoints or p.existing_vpc):
        problems.append("an adopted or shared platform brings its own network: no NAT, endpoints or VPC here")
    if p.platform is not None and isinstance(p.database, StackDatabase):
        problems.append("an in-stack database needs the stack's own VPC (self-contained mode)")
    if isinstance(p.database, ExternalDatabase) and p.database.sslmode != REQUIRED_EXTERNAL_SSLMODE:
        problems.append(f"an external database is reached with sslmode={REQUIRED_EXTERNAL_SSLMODE}")
    if p.sticky_seconds < 0 or p.sticky_seconds > 604800:
        problems.append("stickiness is 0 (off) or 1..604800 s")
    for s in p.schedules:
        if s.min_capacity > s.max_capacity:
            problems.append(f"schedule {s.name}: min > max")
    return problems
