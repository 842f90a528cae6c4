"""Previews: what one pull request adds to the shared preview platform.

The shared stack (one ALB, one wildcard certificate, one cluster, one VPC without NAT) exports a fixed set of
names; a preview stack imports them, so it synthesizes alone, from its PR number only, and is torn down
without touching anything shared. A preview is a host-header rule on the shared HTTPS listener.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Fn
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from constructs import Construct
from macro_ai_contract import load_environments

from macro_ai_infra.constructs.load_balancer import api_target_group

SHARED_STACK_NAME = load_environments().preview_shared_stack
EXPORT_PREFIX = "MacroAiPreviewShared"
SHARED_EXPORT_KEYS = (
    "VpcId",
    "VpcCidr",
    "PublicSubnet1",
    "PublicSubnet2",
    "AvailabilityZone1",
    "AvailabilityZone2",
    "ClusterName",
    "LoadBalancerArn",
    "LoadBalancerFullName",
    "LoadBalancerDnsName",
    "LoadBalancerZoneId",
    "LoadBalancerSecurityGroupId",
    "HttpsListenerArn",
    "RepositoryName",
    "AppSecretArn",
    "AlarmTopicArn",
)
MAX_RULE_PRIORITY = 50000


def export_name(key: str) -> str:
    if key not in SHARED_EXPORT_KEYS:
        raise KeyError(key)
    return f"{EXPORT_PREFIX}-{key}"


def rule_priority(pr: int) -> int:
    """One listener rule per PR; the PR number is unique, so it is the priority."""
    if not 1 <= pr <= MAX_RULE_PRIORITY:
        raise ValueError(f"PR number {pr} outside the listener rule priority range 1..{MAX_RULE_PRIORITY}")
    return pr


@dataclass(frozen=True)
class SharedPreviewPlatform:
    """The shared platform as seen from a preview stack (imported by export name)."""

    vpc: ec2.IVpc
    vpc_cidr: str
    cluster: ecs.ICluster
    load_balancer: elbv2.IApplicationLoadBalancer
    load_balancer_full_name: str
    load_balancer_security_group: ec2.ISecurityGroup
    listener: elbv2.IApplicationListener
    listener_arn: str
    repository: ecr.IRepository
    app_secret: secretsmanager.ISecret
    alarm_topic: sns.ITopic


def import_shared_platform(scope: Construct) -> SharedPreviewPlatform:
    def imp(key: str) -> str:
        return Fn.import_value(export_name(key))

    vpc = ec2.Vpc.from_vpc_attributes(
        scope,
        "SharedVpc",
        vpc_id=imp("VpcId"),
        vpc_cidr_block=imp("VpcCidr"),
        availability_zones=[imp("AvailabilityZone1"), imp("AvailabilityZone2")],
        public_subnet_ids=[imp("PublicSubnet1"), imp("PublicSubnet2")],
    )
    alb_sg = ec2.SecurityGroup.from_security_group_id(
        scope, "SharedAlbSecurityGroup", imp("LoadBalancerSecurityGroupId"), mutable=False
    )
    load_balancer = elbv2.ApplicationLoadBalancer.from_application_load_balancer_attributes(
        scope,
        "SharedLoadBalancer",
        load_balancer_arn=imp("LoadBalancerArn"),
        security_group_id=alb_sg.security_group_id,
        load_balancer_dns_name=imp("LoadBalancerDnsName"),
        load_balancer_canonical_hosted_zone_id=imp("LoadBalancerZoneId"),
        vpc=vpc,
    )
    listener_arn = imp("HttpsListenerArn")
    listener = elbv2.ApplicationListener.from_application_listener_attributes(
        scope, "SharedHttpsListener", listener_arn=listener_arn, security_group=alb_sg
    )
    cluster = ecs.Cluster.from_cluster_attributes(
        scope, "SharedCluster", cluster_name=imp("ClusterName"), vpc=vpc, security_groups=[]
    )
    repository = ecr.Repository.from_repository_name(scope, "SharedRepository", imp("RepositoryName"))
    app_secret = secretsmanager.Secret.from_secret_complete_arn(scope, "SharedAppSecret", imp("AppSecretArn"))
    topic = sns.Topic.from_topic_arn(scope, "SharedAlarmTopic", imp("AlarmTopicArn"))
    return SharedPreviewPlatform(
        vpc=vpc,
        vpc_cidr=imp("VpcCidr"),
        cluster=cluster,
        load_balancer=load_balancer,
        load_balancer_full_name=imp("LoadBalancerFullName"),
        load_balancer_security_group=alb_sg,
        listener=listener,
        listener_arn=listener_arn,
        repository=repository,
        app_secret=app_secret,
        alarm_topic=topic,
    )


class PreviewRoute(Construct):
    """Target group + host-header rule on the shared listener + ``pr-<n>-api.<domain>`` alias record."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        pr: int,
        host: str,
        port: int,
        health_check_path: str,
        deregistration_delay_seconds: int,
        platform: SharedPreviewPlatform,
        zone: route53.IHostedZone,
    ) -> None:
        super().__init__(scope, construct_id)
        self.target_group = api_target_group(
            self,
            "TargetGroup",
            vpc=platform.vpc,
            port=port,
            health_check_path=health_check_path,
            deregistration_delay_seconds=deregistration_delay_seconds,
        )
        self.rule = elbv2.ApplicationListenerRule(
            self,
            "HostRule",
            listener=platform.listener,
            priority=rule_priority(pr),
            conditions=[elbv2.ListenerCondition.host_headers([host])],
            action=elbv2.ListenerAction.forward([self.target_group]),
        )
        self.record = route53.ARecord(
            self,
            "Alias",
            zone=zone,
            record_name=host,
            target=route53.RecordTarget.from_alias(targets.LoadBalancerTarget(platform.load_balancer)),
        )
