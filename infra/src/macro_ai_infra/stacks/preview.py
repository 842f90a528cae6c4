"""``MacroAiPreviewSharedStack`` (one ALB + wildcard certificate for all previews) and
``MacroAiPreviewStack-pr-<n>`` (one per pull request)."""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, Environment, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from constructs import Construct
from macro_ai_contract import load_environments
from macro_ai_contract.service import ServiceContract

from macro_ai_infra.constructs.configuration import (
    Configuration,
    operator_parameters,
    plain_environment,
    split_settings,
)
from macro_ai_infra.constructs.cost import Budget, apply_tags
from macro_ai_infra.constructs.load_balancer import PublicLoadBalancer, import_zone
from macro_ai_infra.constructs.monitoring import AlarmTopic, Monitoring, TargetGroupMetrics
from macro_ai_infra.constructs.network import Network
from macro_ai_infra.constructs.preview import (
    SHARED_STACK_NAME,
    PreviewRoute,
    export_name,
    import_shared_platform,
)
from macro_ai_infra.constructs.registry import Registry
from macro_ai_infra.constructs.service import ApiService, create_cluster
from macro_ai_infra.profiles import Profile
from macro_ai_infra.stacks.common import image_tag_parameter, output
from macro_ai_infra.stacks.environment import stack_tags


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
            description="Macro AI previews: shared VPC, cluster, ALB and wildcard certificate (issue 4)",
            **kwargs,
        )
        short = "macro-ai-preview"
        network = Network(self, "Network", profile=profile)
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
        zone = import_zone(self, "Zone", profile)
        lb = PublicLoadBalancer(
            self,
            "LoadBalancer",
            profile=profile,
            vpc=network.vpc,
            subnets=network.public_subnets,
            zone=zone,
            certificate_domain=f"*.{profile.domain_name}",
            name=short,
        )
        lb.https_listener.add_action(
            "Default",
            action=elbv2.ListenerAction.fixed_response(
                404, content_type="text/plain", message_body="no such preview"
            ),
        )
        # Targets of every preview live in this VPC; the rules are added by the preview stacks.
        lb.security_group.add_egress_rule(
            ec2.Peer.ipv4(network.vpc_cidr), ec2.Port.tcp(contract.port), "preview API tasks"
        )
        cluster = create_cluster(self, "Cluster", vpc=network.vpc, profile=profile, cluster_name=short)
        Budget(
            self,
            "Budget",
            name=short,
            amount_usd=profile.budget_monthly_usd,
            cost_center=profile.cost_center,
            topic=alarm_topic.topic,
            emails=profile.budget_alert_emails,
        )

        public = network.vpc.public_subnets
        exports = {
            "VpcId": network.vpc.vpc_id,
            "VpcCidr": network.vpc.vpc_cidr_block,
            "PublicSubnet1": public[0].subnet_id,
            "PublicSubnet2": public[1].subnet_id,
            "AvailabilityZone1": public[0].availability_zone,
            "AvailabilityZone2": public[1].availability_zone,
            "ClusterName": cluster.cluster_name,
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
        output(self, "ClusterName", cluster.cluster_name, "ECS cluster of all previews")
        output(self, "EcrRepositoryName", registry.repository.repository_name, "ECR repository of previews")
        output(self, "ListenerArn", lb.https_listener.listener_arn, "shared HTTPS listener (host rules)")
        output(self, "AlarmTopicArn", alarm_topic.topic.topic_arn, "SNS topic for alarm notifications")

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
        platform = import_shared_platform(self)
        zone = import_zone(self, "Zone", profile)
        host = profile.api_host(pr)
        route = PreviewRoute(
            self,
            "Route",
            pr=pr,
            host=host,
            port=contract.port,
            health_check_path=contract.load_balancer_check_path,
            deregistration_delay_seconds=profile.deregistration_delay_seconds,
            platform=platform,
            zone=zone,
        )
        settings = plain_environment(
            profile,
            contract,
            app_env=load_environments().preview(pr).app_env,
            region=Aws.REGION,
            cors_allowed_origins=(load_environments().preview_frontend_origin(pr, profile.domain_name),),
        )
        prefix = profile.env.parameter_prefix
        plain, via_parameter = split_settings(settings)
        api = ApiService(
            self,
            "Api",
            profile=profile,
            contract=contract,
            name=short,
            cluster=platform.cluster,
            vpc=platform.vpc,
            subnets=ec2.SubnetSelection(subnets=platform.vpc.public_subnets),
            assign_public_ip=True,
            repository=platform.repository,
            image_tag=image_tag.value_as_string,
            environment=plain,
            # Created by the shared stack (same names); the per-preview values above are all plain.
            parameter_secrets=operator_parameters(self, prefix, via_parameter),
            app_secret=platform.app_secret,
            parameter_prefix=prefix,
            target_group=route.target_group,
            load_balancer_security_group=platform.load_balancer_security_group,
            database_security_group=None,
            database_cidr=platform.vpc_cidr,
        )
        monitoring = Monitoring(
            self,
            "Monitoring",
            name=short,
            thresholds=profile.alarms,
            topic=platform.alarm_topic,
            service=api.service,
            cluster_name=platform.cluster.cluster_name,
            ecs_target_group=TargetGroupMetrics(
                platform.load_balancer_full_name, route.target_group.target_group_full_name
            ),
            legacy_target_group=None,
            dashboard=False,
        )
        output(self, "ClusterName", platform.cluster.cluster_name, "ECS cluster name (shared)")
        output(self, "ServiceName", api.service.service_name, "ECS service name")
        output(self, "EcrRepositoryName", platform.repository.repository_name, "ECR repository (shared)")
        output(
            self, "ListenerArn", platform.listener_arn, "shared HTTPS listener carrying this preview's rule"
        )
        output(self, "EcsTargetGroupArn", route.target_group.target_group_arn, "target group of the preview")
        output(self, "RolloutAlarmNames", ",".join(monitoring.rollout_alarm_names), "alarms of this preview")
        output(self, "AlarmTopicArn", platform.alarm_topic.topic_arn, "SNS topic (shared)")
        output(self, "LogGroupName", api.log_group.log_group_name, "log group of the API containers")
        output(self, "ServiceUrl", f"https://{host}", "public URL of the preview API")

        apply_tags(
            self, {**stack_tags(profile), "macro-ai:preview": f"pr-{pr}", "macro-ai:expires-at": expires_at}
        )
