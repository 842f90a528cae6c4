"""``MacroAiPreviewSharedStack`` (one ALB + wildcard certificate for all previews, and for environments served
on it) and ``MacroAiPreviewStack-pr-<n>`` (one per pull request)."""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, Environment, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from constructs import Construct
from macro_ai_contract import load_environments
from macro_ai_contract.outputs import StackOutput
from macro_ai_contract.service import ServiceContract

from macro_ai_infra.constructs.api_on_ecs import ApiOnEcs
from macro_ai_infra.constructs.configuration import (
    Configuration,
    operator_parameters,
    plain_environment,
    split_settings,
)
from macro_ai_infra.constructs.cost import Budget, apply_tags
from macro_ai_infra.constructs.monitoring import AlarmTopic
from macro_ai_infra.constructs.platform import build_platform
from macro_ai_infra.constructs.preview import (
    SHARED_STACK_NAME,
    export_name,
    import_shared_platform,
    rule_priority,
)
from macro_ai_infra.constructs.registry import Registry
from macro_ai_infra.constructs.task_definition import TaskInputs
from macro_ai_infra.constructs.traffic_split import ListenerRouting
from macro_ai_infra.profile import Profile
from macro_ai_infra.stacks.common import image_tag_parameter, output, stack_tags


def preview_stack_name(pr: int) -> str:
    return str(load_environments().preview(pr).stack_name)


class PreviewSharedStack(Stack):
    def __init__(
        self, scope: Construct, *, profile: Profile, contract: ServiceContract, **kwargs: Any
    ) -> None:
        super().__init__(
            scope,
            SHARED_STACK_NAME,
            stack_name=SHARED_STACK_NAME,
            env=Environment(region=profile.region),
            description="Macro AI previews: shared VPC, cluster, ALB and wildcard certificate",
            **kwargs,
        )
        short = "macro-ai-preview"
        platform = build_platform(
            self,
            profile=profile,
            contract=contract,
            name=short,
            certificate_domain=f"*.{profile.domain_name}",
        )
        assert platform.own is not None
        assert platform.network is not None
        lb, network = platform.own, platform.network
        registry = Registry(self, "Registry", profile=profile, service_name=contract.service)
        settings = plain_environment(
            profile,
            contract,
            app_env=profile.app_env,
            region=Aws.REGION,
            cors_allowed_origins=profile.cors_allowed_origins,
        )
        config = Configuration(self, "Configuration", profile=profile, contract=contract, settings=settings)
        alarm_topic = AlarmTopic(self, "Alarms", name=short, emails=profile.budget_alert_emails)
        lb.https_listener.add_action(
            "Default",
            action=elbv2.ListenerAction.fixed_response(
                404, content_type="text/plain", message_body="no such preview"
            ),
        )
        # Targets of every preview (and of environments served here) live in this VPC; their stacks add rules.
        lb.security_group.add_egress_rule(
            ec2.Peer.ipv4(network.vpc_cidr), ec2.Port.tcp(contract.port), "API tasks served on this ALB"
        )
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

        public = network.vpc.public_subnets
        exports = {
            "VpcId": network.vpc.vpc_id,
            "VpcCidr": network.vpc.vpc_cidr_block,
            "PublicSubnet1": public[0].subnet_id,
            "PublicSubnet2": public[1].subnet_id,
            "AvailabilityZone1": public[0].availability_zone,
            "AvailabilityZone2": public[1].availability_zone,
            "ClusterName": platform.cluster.cluster_name,
            "LoadBalancerArn": lb.load_balancer.load_balancer_arn,
            "LoadBalancerFullName": lb.load_balancer.load_balancer_full_name,
            "LoadBalancerDnsName": lb.load_balancer.load_balancer_dns_name,
            "LoadBalancerZoneId": lb.load_balancer.load_balancer_canonical_hosted_zone_id,
            "LoadBalancerSecurityGroupId": lb.security_group.security_group_id,
            "HttpsListenerArn": lb.https_listener.listener_arn,
            "RepositoryName": registry.repository.repository_name,
            "AppSecretArn": config.app_secret.secret_arn,
            "AlarmTopicArn": alarm_topic.topic.topic_arn,
        }
        for key, value in exports.items():
            out = output(self, f"Shared{key}", value, f"shared preview platform: {key}")
            out.export_name = export_name(key)
        # The contract's names too, for the operator CLI.
        output(self, StackOutput.CLUSTER_NAME, platform.cluster.cluster_name, "ECS cluster of all previews")
        output(self, StackOutput.ECR_REPOSITORY_NAME, registry.repository.repository_name, "ECR of previews")
        output(
            self,
            StackOutput.LISTENER_ARN,
            lb.https_listener.listener_arn,
            "shared HTTPS listener (host rules)",
        )
        output(
            self,
            StackOutput.ALARM_TOPIC_ARN,
            alarm_topic.topic.topic_arn,
            "SNS topic for alarm notifications",
        )

        apply_tags(self, stack_tags(profile))


class PreviewStack(Stack):
    def __init__(
        self,
        scope: Construct,
        *,
        profile: Profile,
        contract: ServiceContract,
        pr: int,
        expires_at: str,
        **kwargs: Any,
    ) -> None:
        name = preview_stack_name(pr)
        super().__init__(
            scope,
            name,
            stack_name=name,
            env=Environment(region=profile.region),
            description=f"Macro AI preview of pull request {pr} (expires {expires_at})",
            **kwargs,
        )
        short = f"macro-ai-pr-{pr}"
        image_tag = image_tag_parameter(self, profile.image_tag_default)
        platform, shared = import_shared_platform(self, profile)
        host = profile.api_host(pr)
        settings = plain_environment(
            profile,
            contract,
            app_env=load_environments().preview(pr).app_env,
            region=Aws.REGION,
            cors_allowed_origins=(load_environments().preview_frontend_origin(pr, profile.domain_name),),
        )
        prefix = profile.env.parameter_prefix
        plain, via_parameter = split_settings(settings)
        api = ApiOnEcs(
            self,
            "Api",
            profile=profile,
            contract=contract,
            name=short,
            platform=platform,
            inputs=TaskInputs(
                repository=shared.repository,
                image_tag=image_tag.value_as_string,
                environment=plain,
                # Created by the shared stack (same names); the per-preview values above are all plain.
                parameters=operator_parameters(self, prefix, via_parameter),
                app_secret=shared.app_secret,
                app_secret_keys=contract.secrets,
                parameter_prefix=prefix,
            ),
            stack_database_group=None,
            topic=shared.alarm_topic,
            legacy_target_group_full_name=None,
            dashboard=False,
        )
        routing = ListenerRouting(
            self,
            "Route",
            listener=platform.listener,
            priority=rule_priority(pr),
            host=host,
            ecs_target_group=api.target_group,
            weights=None,
        )
        platform.add_alias(self, "Alias", host)
        outputs: list[tuple[StackOutput, str, str]] = [
            (StackOutput.CLUSTER_NAME, platform.cluster.cluster_name, "ECS cluster name (shared)"),
            (StackOutput.SERVICE_NAME, api.service.service_name, "ECS service name"),
            (StackOutput.ECR_REPOSITORY_NAME, shared.repository.repository_name, "ECR repository (shared)"),
            (
                StackOutput.LISTENER_ARN,
                platform.listener_arn,
                "shared HTTPS listener carrying this preview's rule",
            ),
            (StackOutput.LISTENER_RULE_ARN, routing.rule_arn, "this preview's host rule"),
            (
                StackOutput.ECS_TARGET_GROUP_ARN,
                api.target_group.target_group_arn,
                "target group of the preview",
            ),
            (
                StackOutput.ROLLOUT_ALARM_NAMES,
                ",".join(api.gates.rollout_alarm_names),
                "alarms of this preview",
            ),
            (StackOutput.ALARM_TOPIC_ARN, shared.alarm_topic.topic_arn, "SNS topic (shared)"),
            (
                StackOutput.LOG_GROUP_NAME,
                api.task.log_group.log_group_name,
                "log group of the API containers",
            ),
            (StackOutput.SERVICE_URL, f"https://{host}", "public URL of the preview API"),
        ]
        for key, value, description in outputs:
            output(self, key, value, description)
        apply_tags(
            self, {**stack_tags(profile), "macro-ai:preview": f"pr-{pr}", "macro-ai:expires-at": expires_at}
        )
