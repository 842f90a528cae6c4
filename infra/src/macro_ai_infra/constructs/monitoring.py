"""Monitoring: SNS alarm topic (KMS), rollout-gate alarms per target group, CPU/memory alarms, dashboard."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from macro_ai_infra.profiles import AlarmThresholds

PERIOD = Duration.minutes(1)
ROLLOUT_GATES = ("5xx-rate", "latency-p99", "unhealthy-hosts")


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
        for service in ("cloudwatch.amazonaws.com", "budgets.amazonaws.com"):
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
                sid="BudgetsPublish",
                actions=["sns:Publish"],
                principals=[iam.ServicePrincipal("budgets.amazonaws.com")],
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
class TargetGroupAlarms:
    error_rate: cloudwatch.Alarm
    latency: cloudwatch.Alarm
    unhealthy: cloudwatch.Alarm

    @property
    def all(self) -> list[cloudwatch.Alarm]:
        return [self.error_rate, self.latency, self.unhealthy]


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


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        thresholds: AlarmThresholds,
        topic: sns.ITopic,
        service: ecs.FargateService,
        cluster_name: str,
        ecs_target_group: TargetGroupMetrics,
        legacy_target_group: TargetGroupMetrics | None,
        dashboard: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic = topic
        action = cw_actions.SnsAction(topic)

        def alarm(
            construct_id: str, alarm_name: str, metric: cloudwatch.IMetric, threshold: float, description: str
        ) -> cloudwatch.Alarm:
            created = cloudwatch.Alarm(
                self,
                construct_id,
                alarm_name=alarm_name,
                alarm_description=description,
                metric=metric,
                threshold=threshold,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                evaluation_periods=thresholds.evaluation_periods,
                datapoints_to_alarm=thresholds.datapoints_to_alarm,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            created.add_alarm_action(action)
            created.add_ok_action(action)
            return created

        def target_group_alarms(
            prefix: str, label: str, target_group: TargetGroupMetrics
        ) -> TargetGroupAlarms:
            return TargetGroupAlarms(
                error_rate=alarm(
                    f"{prefix}ErrorRate",
                    f"{name}-{label}-5xx-rate",
                    target_group.error_rate(),
                    thresholds.target_5xx_rate_percent,
                    f"{label} target group: 5xx responses in % of requests",
                ),
                latency=alarm(
                    f"{prefix}LatencyP99",
                    f"{name}-{label}-latency-p99",
                    target_group.latency("p99"),
                    thresholds.p99_latency_seconds,
                    f"{label} target group: p99 response time (s)",
                ),
                unhealthy=alarm(
                    f"{prefix}Unhealthy",
                    f"{name}-{label}-unhealthy-hosts",
                    target_group.unhealthy(),
                    thresholds.unhealthy_hosts,
                    f"{label} target group: unhealthy targets",
                ),
            )

        self.ecs_alarms = target_group_alarms("Ecs", "ecs", ecs_target_group)
        self.legacy_alarms = (
            target_group_alarms("Legacy", "legacy", legacy_target_group) if legacy_target_group else None
        )
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
        # The gates of a rollout step: the new fleet's 5xx rate, latency and unhealthy hosts. Literal names
        # (not tokens), so the output is a plain string the operator CLI can split.
        self.rollout_alarm_names = [f"{name}-ecs-{suffix}" for suffix in ROLLOUT_GATES]
        if self.rollout_alarm_names != [a.node.default_child.alarm_name for a in self.ecs_alarms.all]:  # type: ignore[union-attr]
            raise RuntimeError("rollout gate names drifted from the alarms they name")

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
                    left=[
                        cloudwatch.Metric(
                            namespace="ECS/ContainerInsights",
                            metric_name="RunningTaskCount",
                            dimensions_map={"ClusterName": cluster_name, "ServiceName": service.service_name},
                            period=PERIOD,
                            statistic="Average",
                        )
                    ],
                    width=12,
                ),
            )
            board.add_widgets(
                cloudwatch.AlarmStatusWidget(
                    title="Alarms",
                    alarms=[
                        *self.ecs_alarms.all,
                        self.cpu_alarm,
                        self.memory_alarm,
                        *(self.legacy_alarms.all if self.legacy_alarms else []),
                    ],
                    width=24,
                )
            )
