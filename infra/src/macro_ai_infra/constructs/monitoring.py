"""Monitoring: SNS alarm topic (KMS), the rollout gates (deploy rollback alarms, migration gates and the
safety net's trigger), CPU/memory alarms, dashboard."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from macro_ai_infra.constructs.api_metrics import ApiLogQueries, ApiMetricReader
from macro_ai_infra.profile import AlarmThresholds

PERIOD = Duration.minutes(1)
# ECS deployments roll back on these (the failures a health check does not see).
DEPLOYMENT_GATES = ("ecs-5xx-rate", "ecs-latency-p99", "elb-5xx")
# A migration step holds only while none of these is in ALARM; the safety net reverts on any of them.
ROLLOUT_GATES = (
    *DEPLOYMENT_GATES,
    "ecs-unhealthy-hosts",
    "ecs-no-healthy-hosts",
    "ecs-connection-errors",
    "ecs-unhandled-errors",
)
METRIC_NAMESPACE = "MacroAi"
# Services that publish to the alarm topic (CloudWatch alarms, budgets, cost anomaly detection).
PUBLISHERS = ("cloudwatch.amazonaws.com", "budgets.amazonaws.com", "costalerts.amazonaws.com")


class AlarmTopic(Construct):
    """SNS topic for alarms and budget alerts, encrypted with a key CloudWatch and Budgets may use."""

    def __init__(
        self, scope: Construct, construct_id: str, *, name: str, emails: tuple[str, ...] = ()
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description=f"{name} alarm notifications",
            enable_key_rotation=True,
        )
        for service in PUBLISHERS:
            self.key.add_to_resource_policy(
                iam.PolicyStatement(
                    actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                    principals=[iam.ServicePrincipal(service)],
                    resources=["*"],  # "*" in a key policy means this key
                )
            )
        self.topic = sns.Topic(
            self, "Topic", display_name=f"{name} alarms", master_key=self.key, enforce_ssl=True
        )
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CostAlertsPublish",
                actions=["sns:Publish"],
                principals=[iam.ServicePrincipal(p) for p in PUBLISHERS[1:]],
                resources=[self.topic.topic_arn],
            )
        )
        for index, email in enumerate(emails):
            sns.Subscription(
                self,
                f"Email{index}",
                topic=self.topic,
                protocol=sns.SubscriptionProtocol.EMAIL,
                endpoint=email,
            )


@dataclass(frozen=True)
class TargetGroupMetrics:
    """ALB metrics of one target group, built from names so imported listeners/load balancers work too."""

    load_balancer_full_name: str
    target_group_full_name: str
    key: str = "ecs"  # unique per graph: names the metric ids of the error-rate expression

    def metric(self, metric_name: str, statistic: str, label: str | None = None) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace="AWS/ApplicationELB",
            metric_name=metric_name,
            dimensions_map={
                "LoadBalancer": self.load_balancer_full_name,
                "TargetGroup": self.target_group_full_name,
            },
            period=PERIOD,
            statistic=statistic,
            label=label,
        )

    def requests(self, label: str | None = None) -> cloudwatch.Metric:
        return self.metric("RequestCount", "Sum", label)

    def latency(self, statistic: str, label: str | None = None) -> cloudwatch.Metric:
        return self.metric("TargetResponseTime", statistic, label)

    def healthy(self, label: str | None = None) -> cloudwatch.Metric:
        return self.metric("HealthyHostCount", "Minimum", label)

    def unhealthy(self, label: str | None = None) -> cloudwatch.Metric:
        return self.metric("UnHealthyHostCount", "Maximum", label)

    def error_rate(self, label: str = "5xx rate (%)") -> cloudwatch.MathExpression:
        return cloudwatch.MathExpression(
            expression=f"IF(FILL(req{self.key}, 0) > 0, 100 * FILL(err{self.key}, 0) / req{self.key}, 0)",
            using_metrics={
                f"err{self.key}": self.metric("HTTPCode_Target_5XX_Count", "Sum"),
                f"req{self.key}": self.requests(),
            },
            label=label,
            period=PERIOD,
        )

    def requests_without_healthy_host(self) -> cloudwatch.MathExpression:
        """1 in a minute when requests arrived and no target was healthy, else 0: the outage itself,
        for a service that sleeps on a schedule (an empty target group at night is not one)."""
        return cloudwatch.MathExpression(
            expression=f"IF(FILL(req{self.key}, 0) > 0 AND FILL(ok{self.key}, 0) < 1, 1, 0)",
            using_metrics={f"req{self.key}": self.requests(), f"ok{self.key}": self.healthy()},
            label="requests with no healthy target",
            period=PERIOD,
        )

    def elb_5xx(self) -> cloudwatch.Metric:
        """5xx the load balancer generated itself (no target, target reset, timeouts): whole balancer."""
        return cloudwatch.Metric(
            namespace="AWS/ApplicationELB",
            metric_name="HTTPCode_ELB_5XX_Count",
            dimensions_map={"LoadBalancer": self.load_balancer_full_name},
            period=PERIOD,
            statistic="Sum",
        )


class _AlarmFactory:
    def __init__(self, scope: Construct, thresholds: AlarmThresholds, topic: sns.ITopic) -> None:
        self.scope, self.thresholds = scope, thresholds
        self.action = cw_actions.SnsAction(topic)

    def __call__(
        self,
        construct_id: str,
        alarm_name: str,
        metric: cloudwatch.IMetric,
        threshold: float,
        description: str,
        below: bool = False,
    ) -> cloudwatch.Alarm:
        created = cloudwatch.Alarm(
            self.scope,
            construct_id,
            alarm_name=alarm_name,
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            comparison_operator=(
                cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD
                if below
                else cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
            ),
            evaluation_periods=self.thresholds.evaluation_periods,
            datapoints_to_alarm=self.thresholds.datapoints_to_alarm,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        created.add_alarm_action(self.action)
        created.add_ok_action(self.action)
        return created


class RolloutAlarms(Construct):
    """The gates of a deploy and of each migration step, built before the service (it names them)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        thresholds: AlarmThresholds,
        topic: sns.ITopic,
        ecs_target_group: TargetGroupMetrics,
        legacy_target_group: TargetGroupMetrics | None,
        log_group: logs.ILogGroup,
        unhandled_error_message: str,
        sleeps_on_schedule: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        alarm = _AlarmFactory(self, thresholds, topic)
        ecs = ecs_target_group
        unhandled = logs.MetricFilter(
            self,
            "UnhandledErrors",
            log_group=log_group,
            metric_namespace=METRIC_NAMESPACE,
            metric_name=f"{name}-unhandled-errors",
            # The service logs one JSON line per exception no handler caught (service contract, "logs").
            filter_pattern=logs.FilterPattern.string_value("$.message", "=", unhandled_error_message),
            metric_value="1",
            default_value=0,
        )
        self.by_gate: dict[str, cloudwatch.Alarm] = {
            "ecs-5xx-rate": alarm(
                "EcsErrorRate",
                f"{name}-ecs-5xx-rate",
                ecs.error_rate(),
                thresholds.target_5xx_rate_percent,
                "ECS target group: 5xx responses in % of requests",
            ),
            "ecs-latency-p99": alarm(
                "EcsLatencyP99",
                f"{name}-ecs-latency-p99",
                ecs.latency("p99"),
                thresholds.p99_latency_seconds,
                "ECS target group: p99 response time (s)",
            ),
            "elb-5xx": alarm(
                "Elb5xx",
                f"{name}-elb-5xx",
                ecs.elb_5xx(),
                thresholds.elb_5xx_count,
                "5xx generated by the load balancer itself (no healthy target, resets, timeouts) per minute",
            ),
            "ecs-unhealthy-hosts": alarm(
                "EcsUnhealthy",
                f"{name}-ecs-unhealthy-hosts",
                ecs.unhealthy(),
                thresholds.unhealthy_hosts,
                "ECS target group: unhealthy targets",
            ),
            "ecs-no-healthy-hosts": (
                # A service scaled to zero at night has no healthy target every night: that alone
                # paged someone nightly. It alarms when requests arrive and nobody can serve them.
                alarm(
                    "EcsNoHealthyHosts",
                    f"{name}-ecs-no-healthy-hosts",
                    ecs.requests_without_healthy_host(),
                    1,
                    "ECS target group: requests arrived and no target was healthy "
                    "(the service sleeps on a schedule, so an empty target group alone is expected)",
                )
                if sleeps_on_schedule
                else alarm(
                    "EcsNoHealthyHosts",
                    f"{name}-ecs-no-healthy-hosts",
                    ecs.healthy(),
                    1,
                    "ECS target group: no healthy target",
                    below=True,
                )
            ),
            "ecs-connection-errors": alarm(
                "EcsConnectionErrors",
                f"{name}-ecs-connection-errors",
                ecs.metric("TargetConnectionErrorCount", "Sum"),
                thresholds.connection_errors,
                "ECS target group: connections the load balancer could not open to a target, per minute",
            ),
            "ecs-unhandled-errors": alarm(
                "EcsUnhandledErrors",
                f"{name}-ecs-unhandled-errors",
                unhandled.metric(period=PERIOD, statistic="Sum"),
                thresholds.unhandled_errors,
                "API log lines of exceptions no handler caught, per minute",
            ),
        }
        self.legacy_no_healthy = (
            alarm(
                "LegacyNoHealthyHosts",
                f"{name}-legacy-no-healthy-hosts",
                legacy_target_group.healthy(),
                1,
                "legacy target group: no healthy target (a rollback to it would fail)",
                below=True,
            )
            if legacy_target_group is not None
            else None
        )
        # Literal names (not tokens), so the output is a plain string the operator CLI can split.
        self.rollout_alarm_names = [f"{name}-{gate}" for gate in ROLLOUT_GATES]
        self.deployment_alarm_names = [f"{name}-{gate}" for gate in DEPLOYMENT_GATES]
        if self.rollout_alarm_names != [self.by_gate[g].node.default_child.alarm_name for g in ROLLOUT_GATES]:  # type: ignore[union-attr]
            raise RuntimeError("rollout gate names drifted from the alarms they name")

    @property
    def all(self) -> list[cloudwatch.Alarm]:
        return [*self.by_gate.values(), *([self.legacy_no_healthy] if self.legacy_no_healthy else [])]


class Monitoring(Construct):
    """CPU and memory alarms of the service, and (optionally) the dashboard of both fleets."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        thresholds: AlarmThresholds,
        topic: sns.ITopic,
        service: ecs.FargateService,
        gates: RolloutAlarms,
        ecs_target_group: TargetGroupMetrics,
        legacy_target_group: TargetGroupMetrics | None,
        api: ApiMetricReader,
        log_queries: ApiLogQueries,
        dashboard: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        alarm = _AlarmFactory(self, thresholds, topic)
        self.cpu_alarm = alarm(
            "Cpu",
            f"{name}-ecs-cpu",
            service.metric_cpu_utilization(period=PERIOD),
            thresholds.cpu_percent,
            "ECS service CPU utilization (%)",
        )
        self.memory_alarm = alarm(
            "Memory",
            f"{name}-ecs-memory",
            service.metric_memory_utilization(period=PERIOD),
            thresholds.memory_percent,
            "ECS service memory utilization (%)",
        )
        if dashboard:
            groups = [("ECS", ecs_target_group)]
            if legacy_target_group is not None:
                groups.append(("legacy EC2", legacy_target_group))
            board = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=name)
            board.add_widgets(
                cloudwatch.GraphWidget(
                    title="Requests per target group",
                    left=[tg.requests(lbl) for lbl, tg in groups],
                    width=12,
                ),
                cloudwatch.GraphWidget(
                    title="5xx rate (%) per target group",
                    left=[tg.error_rate(f"{lbl} 5xx %") for lbl, tg in groups],
                    width=12,
                ),
            )
            board.add_widgets(
                cloudwatch.GraphWidget(
                    title="Latency p50 / p99 (s)",
                    left=[tg.latency(stat, f"{lbl} {stat}") for lbl, tg in groups for stat in ("p50", "p99")],
                    width=12,
                ),
                cloudwatch.GraphWidget(
                    title="Healthy / unhealthy hosts",
                    left=[tg.healthy(f"{lbl} healthy") for lbl, tg in groups],
                    right=[tg.unhealthy(f"{lbl} unhealthy") for lbl, tg in groups],
                    width=12,
                ),
            )
            board.add_widgets(
                cloudwatch.GraphWidget(
                    title="ECS CPU / memory (%)",
                    left=[
                        service.metric_cpu_utilization(period=PERIOD),
                        service.metric_memory_utilization(period=PERIOD),
                    ],
                    width=12,
                ),
                cloudwatch.GraphWidget(
                    title="Running tasks",
                    # AWS/ECS (free): one CPUUtilization sample a minute per RUNNING task, so the 1-minute
                    # SampleCount is the running task count (no Container Insights needed).
                    left=[
                        service.metric_cpu_utilization(
                            period=PERIOD, statistic="SampleCount", label="running tasks"
                        )
                    ],
                    width=12,
                ),
            )
            board.add_widgets(
                cloudwatch.GraphWidget(
                    title="API requests and 4xx/5xx (its own metrics)",
                    left=[
                        api.requests(label="requests (Latency SampleCount)"),
                        api.metric("Errors4xx", "Sum", label="4xx"),
                        api.metric("Errors5xx", "Sum", label="5xx"),
                    ],
                    right=[api.error_rate_5xx()],
                    width=12,
                ),
                cloudwatch.TextWidget(
                    markdown=(
                        "**Per route**: the API publishes Latency and Errors5xx per route (namespace "
                        f"`{api.names.namespace}`, dimension `{api.names.route_dimension}`); request counts "
                        "are Latency's SampleCount. Per-route 4xx are in the log, not in metrics: run the "
                        f"saved Logs Insights query **{log_queries.by_route_name}** (and "
                        f"**{log_queries.by_path_name}** for the paths behind them)."
                    ),
                    width=12,
                    height=6,
                ),
            )
            board.add_widgets(
                cloudwatch.AlarmStatusWidget(
                    title="Alarms",
                    alarms=[*gates.all, self.cpu_alarm, self.memory_alarm],
                    width=24,
                )
            )
