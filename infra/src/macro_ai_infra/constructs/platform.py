"""The platform a stack's ECS side runs on: VPC, task subnets, cluster, HTTPS listener, zone.

A stack either builds it (self-contained: own VPC and load balancer), adopts the one serving users today by
its identifiers (``AdoptedPlatform``), or imports the shared preview platform (``SharedPlatform``).
Imports use attributes only, never lookups, so synth stays offline and deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from constructs import Construct
from macro_ai_contract.service import ServiceContract

from macro_ai_infra.constructs.load_balancer import PublicLoadBalancer, import_zone
from macro_ai_infra.constructs.network import Network
from macro_ai_infra.constructs.service import create_cluster
from macro_ai_infra.profile import AdoptedPlatform, ExistingVpc, Profile


@dataclass(frozen=True)
class Platform:
    vpc: ec2.IVpc
    vpc_cidr: str
    task_subnets: ec2.SubnetSelection
    assign_public_ip: bool
    cluster: ecs.ICluster
    listener: elbv2.IApplicationListener
    listener_arn: str
    load_balancer_security_group: ec2.ISecurityGroup
    load_balancer_full_name: str
    zone: route53.IHostedZone
    # The load balancer the API's DNS name should alias; None where DNS already points at it (adopt mode).
    alias_target: elbv2.IApplicationLoadBalancer | None
    # Set only when the stack built the load balancer (its default action is the stack's to set).
    own: PublicLoadBalancer | None = None
    network: Network | None = None

    def add_alias(self, scope: Construct, construct_id: str, host: str) -> route53.ARecord | None:
        if self.alias_target is None:
            return None
        return route53.ARecord(
            scope,
            construct_id,
            zone=self.zone,
            record_name=host,
            target=route53.RecordTarget.from_alias(targets.LoadBalancerTarget(self.alias_target)),
        )


def build_platform(
    scope: Construct,
    *,
    profile: Profile,
    contract: ServiceContract,
    name: str,
    certificate_domain: str,
) -> Platform:
    """Self-contained: a VPC (or an existing one), a public ALB with HTTPS, and a cluster."""
    network = Network(scope, "Network", profile=profile)
    zone = import_zone(scope, "Zone", profile)
    lb = PublicLoadBalancer(
        scope,
        "LoadBalancer",
        profile=profile,
        vpc=network.vpc,
        subnets=network.public_subnets,
        zone=zone,
        certificate_domain=certificate_domain,
        name=name,
        idle_timeout_seconds=contract.load_balancer_idle_timeout_seconds,
    )
    cluster = create_cluster(scope, "Cluster", vpc=network.vpc, profile=profile, cluster_name=name)
    return Platform(
        vpc=network.vpc,
        vpc_cidr=network.vpc_cidr,
        task_subnets=network.task_subnets,
        assign_public_ip=network.assign_public_ip,
        cluster=cluster,
        listener=lb.https_listener,
        listener_arn=lb.https_listener.listener_arn,
        load_balancer_security_group=lb.security_group,
        load_balancer_full_name=lb.load_balancer.load_balancer_full_name,
        zone=zone,
        alias_target=lb.load_balancer,
        own=lb,
        network=network,
    )


def import_vpc(scope: Construct, construct_id: str, vpc: ExistingVpc) -> ec2.IVpc:
    return ec2.Vpc.from_vpc_attributes(
        scope,
        construct_id,
        vpc_id=vpc.vpc_id,
        vpc_cidr_block=vpc.vpc_cidr,
        availability_zones=list(vpc.availability_zones),
        public_subnet_ids=list(vpc.public_subnet_ids),
        private_subnet_ids=list(vpc.private_subnet_ids) or None,
    )


def adopt_platform(scope: Construct, *, profile: Profile, adopted: AdoptedPlatform, name: str) -> Platform:
    """The running platform, by its identifiers: only a cluster is new (the ECS side needs one)."""
    vpc = import_vpc(scope, "AdoptedVpc", adopted.vpc)
    alb_sg = ec2.SecurityGroup.from_security_group_id(
        scope, "AdoptedLoadBalancerSecurityGroup", adopted.load_balancer_security_group_id, mutable=False
    )
    listener = elbv2.ApplicationListener.from_application_listener_attributes(
        scope, "AdoptedHttpsListener", listener_arn=adopted.https_listener_arn, security_group=alb_sg
    )
    # Tasks in the VPC's public subnets with a public IP, as the old fleet's instances: no NAT to pay for.
    subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC)
    cluster = create_cluster(scope, "Cluster", vpc=vpc, profile=profile, cluster_name=name)
    return Platform(
        vpc=vpc,
        vpc_cidr=adopted.vpc.vpc_cidr,
        task_subnets=subnets,
        assign_public_ip=True,
        cluster=cluster,
        listener=listener,
        listener_arn=adopted.https_listener_arn,
        load_balancer_security_group=alb_sg,
        load_balancer_full_name=adopted.load_balancer_full_name,
        zone=import_zone(scope, "Zone", profile),
        alias_target=None,
    )
