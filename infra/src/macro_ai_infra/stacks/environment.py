"""``MacroAi<Hobby|Staging|Production>Stack``: one long-lived environment (its name comes from the table)."""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, Environment, Stack
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from constructs import Construct
from macro_ai_contract.outputs import StackOutput, StackParameter, migration_record_parameter
from macro_ai_contract.service import ServiceContract

from macro_ai_infra.constructs.api_on_ecs import ApiOnEcs
from macro_ai_infra.constructs.configuration import Configuration, Database, plain_environment, split_settings
from macro_ai_infra.constructs.cost import Budget, apply_tags
from macro_ai_infra.constructs.legacy_fleet import LegacyFleet
from macro_ai_infra.constructs.monitoring import AlarmTopic
from macro_ai_infra.constructs.platform import Platform, adopt_platform, build_platform
from macro_ai_infra.constructs.preview import import_shared_platform
from macro_ai_infra.constructs.registry import Registry
from macro_ai_infra.constructs.safety_net import SafetyNet
from macro_ai_infra.constructs.task_definition import TaskInputs
from macro_ai_infra.constructs.traffic_split import ListenerRouting, TrafficSplit, Weights
from macro_ai_infra.profile import AdoptedPlatform, Profile, SharedPlatform, StackDatabase
from macro_ai_infra.stacks.common import image_tag_parameter, output, stack_tags, weight_parameter
from macro_ai_infra.timing import drain_timing


def platform_for(scope: Construct, profile: Profile, contract: ServiceContract, name: str) -> Platform:
    if isinstance(profile.platform, AdoptedPlatform):
        return adopt_platform(scope, profile=profile, adopted=profile.platform, name=name)
    if isinstance(profile.platform, SharedPlatform):
        return import_shared_platform(scope, profile)[0]
    return build_platform(
        scope, profile=profile, contract=contract, name=name, certificate_domain=profile.api_host()
    )


class EnvironmentStack(Stack):
    def __init__(
        self, scope: Construct, *, profile: Profile, contract: ServiceContract, **kwargs: Any
    ) -> None:
        super().__init__(
            scope,
            profile.stack_name,
            stack_name=profile.stack_name,
            env=Environment(region=profile.region),
            description=f"Macro AI {profile.key} environment: API on ECS Fargate",
            **kwargs,
        )
        short = f"macro-ai-{profile.environment}"
        host = profile.api_host()
        image_tag = image_tag_parameter(self, profile.image_tag_default)
        platform = platform_for(self, profile, contract, short)
        registry = Registry(self, "Registry", profile=profile, service_name=contract.service)
        database = (
            Database(
                self,
                "Database",
                profile=profile,
                config=profile.database,
                vpc=platform.vpc,
                subnets=platform.network.database_subnets,
            )
            if isinstance(profile.database, StackDatabase) and platform.network is not None
            else None
        )
        settings = plain_environment(
            profile,
            contract,
            app_env=profile.app_env,
            region=Aws.REGION,
            cors_allowed_origins=profile.cors_allowed_origins,
            database_login_id=database.app_login.secret_arn if database else "",
        )
        config = Configuration(self, "Configuration", profile=profile, contract=contract, settings=settings)
        alarm_topic = AlarmTopic(self, "Alarms", name=short, emails=profile.budget_alert_emails)

        legacy_target_group: elbv2.IApplicationTargetGroup | None = None
        legacy_full_name: str | None = None
        if profile.adopted is not None and profile.adopted.legacy_target_group_arn is not None:
            legacy_target_group = elbv2.ApplicationTargetGroup.from_target_group_attributes(
                self, "AdoptedLegacyTargetGroup", target_group_arn=profile.adopted.legacy_target_group_arn
            )
            legacy_full_name = profile.adopted.legacy_target_group_full_name
        elif profile.has_legacy_fleet and platform.own is not None and platform.network is not None:
            fleet = LegacyFleet(
                self,
                "LegacyFleet",
                profile=profile,
                name=short,
                port=contract.port,
                vpc=platform.vpc,
                subnets=platform.task_subnets,
                associate_public_ip=platform.assign_public_ip,
                load_balancer_security_group=platform.load_balancer_security_group,
                parameter_prefix=config.prefix,
                app_secret=config.app_secret,
                notifications_topic=alarm_topic.topic,
                stack_database_group=database.security_group if database else None,
                timing=drain_timing(contract),
            )
            legacy_target_group = fleet.target_group
            legacy_full_name = fleet.target_group.target_group_full_name

        api = ApiOnEcs(
            self,
            "Api",
            profile=profile,
            contract=contract,
            name=short,
            platform=platform,
            inputs=TaskInputs(
                repository=registry.repository,
                image_tag=image_tag.value_as_string,
                environment=split_settings(settings)[0],
                parameters=config.injected_parameters,
                app_secret=config.app_secret,
                app_secret_keys=config.app_secret_keys,
                parameter_prefix=config.prefix,
                database_login=database.app_login if database else None,
            ),
            stack_database_group=database.security_group if database else None,
            topic=alarm_topic.topic,
            legacy_target_group_full_name=legacy_full_name,
            dashboard=True,
        )

        weights = None
        if legacy_target_group is not None:
            weights = Weights(
                legacy_target_group=legacy_target_group,
                legacy=weight_parameter(
                    self, StackParameter.LEGACY_WEIGHT, 100, "legacy EC2"
                ).value_as_number,
                ecs=weight_parameter(self, StackParameter.ECS_WEIGHT, 0, "ECS").value_as_number,
                sticky_seconds=profile.sticky_seconds,
            )
        rule_arn: str | None = None
        if platform.own is not None:
            TrafficSplit(
                self,
                "TrafficSplit",
                listener=platform.own.https_listener,
                ecs_target_group=api.target_group,
                weights=weights,
            )
        else:
            shared = isinstance(profile.platform, SharedPlatform)
            routing = ListenerRouting(
                self,
                "TrafficSplit",
                listener=platform.listener,
                priority=profile.platform.rule_priority if profile.platform else 1,
                host=host if shared else None,
                ecs_target_group=api.target_group,
                weights=weights,
            )
            rule_arn = routing.rule_arn
        platform.add_alias(self, "ApiAlias", host)
        Budget(
            self,
            "Budget",
            name=short,
            amount_usd=profile.budget_monthly_usd,
            cost_center=profile.cost_center,
            topic=alarm_topic.topic,
            emails=profile.budget_alert_emails,
            anomaly_threshold_usd=profile.anomaly_threshold_usd,
        )
        record = migration_record_parameter(profile.stack_name)
        if legacy_target_group is not None:
            SafetyNet(
                self,
                "SafetyNet",
                name=short,
                alarms=[
                    api.gates.by_gate[g.removeprefix(f"{short}-")] for g in api.gates.rollout_alarm_names
                ],
                weights_arn=rule_arn or platform.listener_arn,
                weights_on_rule=rule_arn is not None,
                legacy_target_group_arn=legacy_target_group.target_group_arn,
                ecs_target_group_arn=api.target_group.target_group_arn,
                record_parameter=record,
                log_retention_days=profile.log_retention_days,
                retain_logs=profile.retain_data,
            )

        outputs: list[tuple[StackOutput, str | None, str]] = [
            (StackOutput.CLUSTER_NAME, platform.cluster.cluster_name, "ECS cluster name"),
            (StackOutput.SERVICE_NAME, api.service.service_name, "ECS service name"),
            (
                StackOutput.ECR_REPOSITORY_NAME,
                registry.repository.repository_name,
                "ECR repository of the API",
            ),
            (StackOutput.LISTENER_ARN, platform.listener_arn, "HTTPS listener"),
            (
                StackOutput.LISTENER_RULE_ARN,
                rule_arn,
                "listener rule that carries this environment's forward",
            ),
            (StackOutput.ECS_TARGET_GROUP_ARN, api.target_group.target_group_arn, "target group of ECS"),
            (
                StackOutput.LEGACY_TARGET_GROUP_ARN,
                legacy_target_group.target_group_arn if legacy_target_group else None,
                "target group of the legacy EC2 fleet",
            ),
            (StackOutput.ROLLOUT_ALARM_NAMES, ",".join(api.gates.rollout_alarm_names), "rollout gates"),
            (StackOutput.ALARM_TOPIC_ARN, alarm_topic.topic.topic_arn, "SNS topic for alarm notifications"),
            (
                StackOutput.LOG_GROUP_NAME,
                api.task.log_group.log_group_name,
                "log group of the API containers",
            ),
            (StackOutput.SERVICE_URL, f"https://{host}", "public URL of the API"),
            (
                StackOutput.MIGRATION_RECORD_PARAMETER,
                record if weights else None,
                "migration lease and record",
            ),
        ]
        for key, value, description in outputs:
            if value is not None:
                output(self, key, value, description)
        apply_tags(self, stack_tags(profile))
