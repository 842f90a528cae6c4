"""Service: the ECS cluster and the API's Fargate service (rolling deploys gated by alarms and the circuit
breaker). Its parts live beside it: ``task_definition``, ``task_security``, ``scaling``."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from constructs import Construct

from macro_ai_infra.nag import acknowledge
from macro_ai_infra.profile import Profile


def create_cluster(
    scope: Construct, construct_id: str, *, vpc: ec2.IVpc, profile: Profile, cluster_name: str
) -> ecs.Cluster:
    cluster = ecs.Cluster(
        scope,
        construct_id,
        vpc=vpc,
        cluster_name=cluster_name,
        container_insights_v2=(
            ecs.ContainerInsights.ENABLED if profile.container_insights else ecs.ContainerInsights.DISABLED
        ),
        enable_fargate_capacity_providers=True,
    )
    if not profile.container_insights:
        acknowledge(
            cluster,
            "AwsSolutions-ECS4",
            "Container Insights off by the profile (a cost choice, docs/infra.md 'Monitoring'): alarms and "
            "the dashboard read free AWS/ECS, target-group and the API's own metrics instead.",
        )
    return cluster


def capacity(profile: Profile) -> list[ecs.CapacityProviderStrategy]:
    if profile.spot:
        return [ecs.CapacityProviderStrategy(capacity_provider="FARGATE_SPOT", weight=1)]
    return [ecs.CapacityProviderStrategy(capacity_provider="FARGATE", weight=1, base=1)]


class ApiService(Construct):
    """The API on Fargate behind a target group; a deploy rolls back on its circuit breaker or an alarm."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        profile: Profile,
        name: str,
        cluster: ecs.ICluster,
        task_definition: ecs.FargateTaskDefinition,
        subnets: ec2.SubnetSelection,
        assign_public_ip: bool,
        security_group: ec2.ISecurityGroup,
        target_group: elbv2.IApplicationTargetGroup,
        deployment_alarm_names: list[str],
    ) -> None:
        super().__init__(scope, construct_id)
        self.service = ecs.FargateService(
            self,
            "Service",
            service_name=f"{name}-api",
            cluster=cluster,
            task_definition=task_definition,
            # No DesiredCount in the template: autoscaling owns it, so a deploy never resets a scaled-out
            # service (CloudFormation starts a new service with 1 task; min capacity lifts it at once).
            desired_count=None,
            min_healthy_percent=100,
            max_healthy_percent=200,
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
            deployment_alarms=ecs.DeploymentAlarmConfig(
                alarm_names=deployment_alarm_names, behavior=ecs.AlarmBehavior.ROLLBACK_ON_ALARM
            ),
            health_check_grace_period=Duration.seconds(profile.health_check_grace_seconds),
            capacity_provider_strategies=capacity(profile),
            vpc_subnets=subnets,
            assign_public_ip=assign_public_ip,
            security_groups=[security_group],
            enable_ecs_managed_tags=True,
            propagate_tags=ecs.PropagatedTagSource.SERVICE,
            platform_version=ecs.FargatePlatformVersion.LATEST,
        )
        self.service.attach_to_application_target_group(target_group)
