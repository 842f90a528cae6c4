"""Network: an existing VPC imported by id (no lookups) or a new one; NAT optional; VPC endpoints."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

from macro_ai_infra.constructs import log_retention
from macro_ai_infra.profile import Profile, StackDatabase

# Interface endpoints a private Fargate task needs to start without a NAT round trip to AWS APIs.
INTERFACE_ENDPOINTS = {
    "EcrApi": ec2.InterfaceVpcEndpointAwsService.ECR,
    "EcrDocker": ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
    "Logs": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    "SecretsManager": ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
    "Ssm": ec2.InterfaceVpcEndpointAwsService.SSM,
}


class Network(Construct):
    """The VPC and where tasks run.

    ``task_subnets`` are private (with NAT) when the profile has NAT gateways, else public with a public IP;
    in both cases the task security group admits nothing but the load balancer.
    """

    def __init__(self, scope: Construct, construct_id: str, *, profile: Profile) -> None:
        super().__init__(scope, construct_id)
        self.private_tasks = profile.nat_gateways > 0
        existing = profile.existing_vpc
        if existing is not None:
            self.vpc: ec2.IVpc = ec2.Vpc.from_vpc_attributes(
                self,
                "Vpc",
                vpc_id=existing.vpc_id,
                vpc_cidr_block=existing.vpc_cidr,
                availability_zones=list(existing.availability_zones),
                public_subnet_ids=list(existing.public_subnet_ids),
                private_subnet_ids=list(existing.private_subnet_ids) or None,
            )
            self.vpc_cidr = existing.vpc_cidr
        else:
            subnets = [
                ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24)
            ]
            if isinstance(profile.database, StackDatabase):
                # An in-stack database sits in isolated subnets: no route to the internet, no NAT needed.
                subnets.append(
                    ec2.SubnetConfiguration(
                        name="database", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24
                    )
                )
            if self.private_tasks:
                subnets.append(
                    ec2.SubnetConfiguration(
                        name="private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=22
                    )
                )
            vpc = ec2.Vpc(
                self,
                "Vpc",
                ip_addresses=ec2.IpAddresses.cidr(profile.vpc_cidr),
                max_azs=2,
                nat_gateways=profile.nat_gateways,
                subnet_configuration=subnets,
                restrict_default_security_group=True,
            )
            flow_logs = logs.LogGroup(
                self,
                "FlowLogs",
                retention=log_retention(profile.log_retention_days),
                removal_policy=RemovalPolicy.RETAIN if profile.retain_data else RemovalPolicy.DESTROY,
            )
            vpc.add_flow_log(
                "FlowLog",
                destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_logs),
                traffic_type=ec2.FlowLogTrafficType.REJECT,
            )
            self.vpc = vpc
            self.vpc_cidr = profile.vpc_cidr

        self.public_subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC)
        self.task_subnets = (
            ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
            if self.private_tasks
            else self.public_subnets
        )
        self.database_subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
        self.assign_public_ip = not self.private_tasks

        if existing is None:
            # The S3 gateway endpoint is free and carries the ECR image layers (public or private tasks).
            self.vpc.add_gateway_endpoint("S3", service=ec2.GatewayVpcEndpointAwsService.S3)
        if self.private_tasks and profile.vpc_endpoints:
            self.endpoint_security_group = ec2.SecurityGroup(
                self,
                "EndpointSecurityGroup",
                vpc=self.vpc,
                description="interface VPC endpoints: HTTPS from inside the VPC",
                allow_all_outbound=False,
            )
            self.endpoint_security_group.add_ingress_rule(
                ec2.Peer.ipv4(self.vpc_cidr), ec2.Port.tcp(443), "HTTPS from the VPC"
            )
            for name, service in INTERFACE_ENDPOINTS.items():
                self.vpc.add_interface_endpoint(
                    name,
                    service=service,
                    subnets=self.task_subnets,
                    private_dns_enabled=True,
                    open=False,
                    security_groups=[self.endpoint_security_group],
                )
