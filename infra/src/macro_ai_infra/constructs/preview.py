"""Previews: what one pull request adds to the shared preview platform.

The shared stack (one ALB, one wildcard certificate, one cluster, one VPC without NAT) exports a fixed set of
names; a preview stack imports them, so it synthesizes alone, from its PR number only, and is torn down
without touching anything shared. A preview is a host-header rule on the shared HTTPS listener; an environment
with ``SharedPlatform`` (hobby) is served the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Fn
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from constructs import Construct
from macro_ai_contract import load_environments

from macro_ai_infra.constructs.load_balancer import import_zone
from macro_ai_infra.constructs.platform import Platform
from macro_ai_infra.profile import Profile

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
# Listener rule priorities 1..50000: previews take their PR number, long-lived hosts on the shared listener
# take priorities above MAX_RULE_PRIORITY.
MAX_RULE_PRIORITY = 49000


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
class SharedPreviewResources:
    """What the shared stack owns for every preview besides the platform: image repository, secret, topic."""

    repository: ecr.IRepository
    app_secret: secretsmanager.ISecret
    alarm_topic: sns.ITopic


def import_shared_platform(scope: Construct, profile: Profile) -> tuple[Platform, SharedPreviewResources]:
    """The shared preview platform, imported by export name (a preview, or an environment served on it)."""

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
    platform = Platform(
        vpc=vpc,
        vpc_cidr=imp("VpcCidr"),
        task_subnets=ec2.SubnetSelection(subnets=vpc.public_subnets),
        assign_public_ip=True,
        cluster=cluster,
        listener=listener,
        listener_arn=listener_arn,
        load_balancer_security_group=alb_sg,
        load_balancer_full_name=imp("LoadBalancerFullName"),
        zone=import_zone(scope, "Zone", profile),
        alias_target=load_balancer,
    )
    resources = SharedPreviewResources(
        repository=ecr.Repository.from_repository_name(scope, "SharedRepository", imp("RepositoryName")),
        app_secret=secretsmanager.Secret.from_secret_complete_arn(
            scope, "SharedAppSecret", imp("AppSecretArn")
        ),
        alarm_topic=sns.Topic.from_topic_arn(scope, "SharedAlarmTopic", imp("AlarmTopicArn")),
    )
    return platform, resources
