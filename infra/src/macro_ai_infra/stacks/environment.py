"""``MacroAi<Hobby|Staging|Production>Stack``: one long-lived environment."""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, Environment, Stack
from constructs import Construct
from macro_ai_contract.service import ServiceContract

from macro_ai_infra.constructs.configuration import Configuration, Database, plain_environment, split_settings
from macro_ai_infra.constructs.cost import Budget, apply_tags
from macro_ai_infra.constructs.legacy_fleet import LegacyFleet
from macro_ai_infra.constructs.load_balancer import PublicLoadBalancer, api_target_group, import_zone
from macro_ai_infra.constructs.monitoring import AlarmTopic, Monitoring, TargetGroupMetrics
from macro_ai_infra.constructs.network import Network
from macro_ai_infra.constructs.registry import Registry
from macro_ai_infra.constructs.service import ApiService, create_cluster
from macro_ai_infra.constructs.traffic_split import TrafficSplit
from macro_ai_infra.profiles import Profile
from macro_ai_infra.stacks.common import image_tag_parameter, output, weight_parameter


def stack_tags(profile: Profile) -> dict[str, str]:
    return {"project": "macro-ai", "environment": profile.environment, "cost-center": profile.cost_center}


class EnvironmentStack(Stack):
    def __init__(
        self, scope: Construct, *, profile: Profile, contract: ServiceContract, **kwargs: Any
    ) -> None:
        super().__init__(
            scope,
            profile.stack_name,
            stack_name=profile.stack_name,
            env=Environment(region=profile.region),
            description=f"Macro AI {profile.key} environment: API on ECS Fargate (issue 4)",
            **kwargs,
        )
        short = f"macro-ai-{profile.environment}"
        image_tag = image_tag_parameter(self, profile.image_tag_default)

        network = Network(self, "Network", profile=profile)
        registry = Registry(self, "Registry", profile=profile, service_name=contract.service)
        database = (
            Database(
                self,
                "Database",
                profile=profile,
                config=profile.database,
                vpc=network.vpc,
                subnets=network.task_subnets,
            )
            if profile.database is not None
            else None
        )
        settings = plain_environment(
            profile,
            contract,
            app_env=profile.app_env,
            region=Aws.REGION,
            cors_allowed_origins=profile.cors_allowed_origins,
            database_login_id=database.master_secret_arn if database else "",
        )
        config = Configuration(self, "Configuration", profile=profile, contract=contract, settings=settings)
        alarm_topic = AlarmTopic(self, "Alarms", name=short, emails=profile.budget_alert_emails)

        zone = import_zone(self, "Zone", profile)
        host = profile.api_host()
        lb = PublicLoadBalancer(
            self,
            "LoadBalancer",
            profile=profile,
            vpc=network.vpc,
            subnets=network.public_subnets,
            zone=zone,
            certificate_domain=host,
            name=short,
        )
        lb.add_alias("ApiAlias", zone=zone, host=host)
        ecs_target_group = api_target_group(
            self,
            "EcsTargetGroup",
            vpc=network.vpc,
            port=contract.port,
            health_check_path=contract.load_balancer_check_path,
            deregistration_delay_seconds=profile.deregistration_delay_seconds,
        )

        legacy = None
        legacy_weight = ecs_weight = None
        if profile.legacy_fleet:
            legacy = LegacyFleet(
                self,
                "LegacyFleet",
                profile=profile,
                name=short,
                port=contract.port,
                vpc=network.vpc,
                subnets=network.task_subnets,
                associate_public_ip=network.assign_public_ip,
                load_balancer_security_group=lb.security_group,
                parameter_prefix=config.prefix,
                app_secret=config.app_secret,
                notifications_topic=alarm_topic.topic,
                database_security_group=database.security_group if database else None,
                database_cidr=None if database else network.vpc_cidr,
            )
            legacy_weight = weight_parameter(self, "LegacyWeight", 100, "legacy EC2")
            ecs_weight = weight_parameter(self, "EcsWeight", 0, "ECS")
        TrafficSplit(
            self,
            "TrafficSplit",
            listener=lb.https_listener,
            ecs_target_group=ecs_target_group,
            legacy_target_group=legacy.target_group if legacy else None,
            ecs_weight=ecs_weight.value_as_number if ecs_weight else None,
            legacy_weight=legacy_weight.value_as_number if legacy_weight else None,
        )

        cluster = create_cluster(self, "Cluster", vpc=network.vpc, profile=profile, cluster_name=short)
        api = ApiService(
            self,
            "Api",
            profile=profile,
            contract=contract,
            name=short,
            cluster=cluster,
            vpc=network.vpc,
            subnets=network.task_subnets,
            assign_public_ip=network.assign_public_ip,
            repository=registry.repository,
            image_tag=image_tag.value_as_string,
            environment=split_settings(settings)[0],
            parameter_secrets=config.injected_parameters,
            app_secret=config.app_secret,
            parameter_prefix=config.prefix,
            target_group=ecs_target_group,
            load_balancer_security_group=lb.security_group,
            database_security_group=database.security_group if database else None,
            database_cidr=None if database else network.vpc_cidr,
        )

        lb_full_name = lb.load_balancer.load_balancer_full_name
        monitoring = Monitoring(
            self,
            "Monitoring",
            name=short,
            thresholds=profile.alarms,
            topic=alarm_topic.topic,
            service=api.service,
            cluster_name=cluster.cluster_name,
            ecs_target_group=TargetGroupMetrics(lb_full_name, ecs_target_group.target_group_full_name),
            legacy_target_group=(
                TargetGroupMetrics(lb_full_name, legacy.target_group.target_group_full_name, "legacy")
                if legacy
                else None
            ),
            dashboard=True,
        )
        Budget(
            self,
            "Budget",
            name=short,
            amount_usd=profile.budget_monthly_usd,
            cost_center=profile.cost_center,
            topic=alarm_topic.topic,
            emails=profile.budget_alert_emails,
        )

        output(self, "ClusterName", cluster.cluster_name, "ECS cluster name")
        output(self, "ServiceName", api.service.service_name, "ECS service name")
        output(
            self, "EcrRepositoryName", registry.repository.repository_name, "ECR repository of the API image"
        )
        output(self, "ListenerArn", lb.https_listener.listener_arn, "HTTPS listener (weighted forward)")
        output(
            self, "EcsTargetGroupArn", ecs_target_group.target_group_arn, "target group of the ECS service"
        )
        if legacy is not None:
            output(
                self,
                "LegacyTargetGroupArn",
                legacy.target_group.target_group_arn,
                "target group of the legacy EC2 Auto Scaling group",
            )
        output(
            self,
            "RolloutAlarmNames",
            ",".join(monitoring.rollout_alarm_names),
            "alarms that gate a rollout step",
        )
        output(self, "AlarmTopicArn", alarm_topic.topic.topic_arn, "SNS topic for alarm notifications")
        output(self, "LogGroupName", api.log_group.log_group_name, "log group of the API containers")
        output(self, "ServiceUrl", f"https://{host}", "public URL of the API")

        apply_tags(self, stack_tags(profile))
