"""Load balancer: public ALB, ACM certificate (DNS validation), HTTP->HTTPS redirect, Route 53 aliases."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from aws_cdk import aws_s3 as s3
from constructs import Construct

from macro_ai_infra.nag import acknowledge
from macro_ai_infra.profile import Profile
from macro_ai_infra.timing import DrainTiming

ACCESS_LOG_EXPIRY_DAYS = 90


def import_zone(scope: Construct, construct_id: str, profile: Profile) -> route53.IHostedZone:
    """The hosted zone from profile data: no lookup, so synth needs no AWS account."""
    return route53.HostedZone.from_hosted_zone_attributes(
        scope, construct_id, hosted_zone_id=profile.hosted_zone_id, zone_name=profile.domain_name
    )


def api_target_group(
    scope: Construct,
    construct_id: str,
    *,
    vpc: ec2.IVpc,
    port: int,
    health_check_path: str,
    timing: DrainTiming,
    target_type: elbv2.TargetType = elbv2.TargetType.IP,
) -> elbv2.ApplicationTargetGroup:
    """Health-check and drain timing from the service contract (``timing``), never re-typed here."""
    return elbv2.ApplicationTargetGroup(
        scope,
        construct_id,
        vpc=vpc,
        port=port,
        protocol=elbv2.ApplicationProtocol.HTTP,
        target_type=target_type,
        deregistration_delay=Duration.seconds(timing.deregistration_delay_seconds),
        health_check=elbv2.HealthCheck(
            path=health_check_path,
            healthy_http_codes="200",
            interval=Duration.seconds(timing.health_check_interval_seconds),
            timeout=Duration.seconds(timing.health_check_timeout_seconds),
            healthy_threshold_count=timing.healthy_threshold,
            unhealthy_threshold_count=timing.unhealthy_threshold,
        ),
    )


class PublicLoadBalancer(Construct):
    """Internet-facing ALB with an HTTPS listener (default action set by the caller) and HTTP redirect."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        profile: Profile,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        zone: route53.IHostedZone,
        certificate_domain: str,
        name: str,
        idle_timeout_seconds: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description=f"{name} load balancer: HTTP/HTTPS from the internet, out only to its targets",
            allow_all_outbound=False,
        )
        for port in (80, 443):
            self.security_group.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(port), f"public {port}")
        acknowledge(
            self.security_group,
            "AwsSolutions-EC23",
            "Public API load balancer: HTTPS (and HTTP, redirected to HTTPS) is open to the internet.",
        )

        self.load_balancer = elbv2.ApplicationLoadBalancer(
            self,
            "LoadBalancer",
            vpc=vpc,
            vpc_subnets=subnets,
            internet_facing=True,
            security_group=self.security_group,
            # Below the app's keep-alive (service contract): the balancer closes idle connections first.
            idle_timeout=Duration.seconds(idle_timeout_seconds),
            drop_invalid_header_fields=True,
            http2_enabled=True,
            deletion_protection=profile.retain_data,
        )
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,  # ALB access logs support SSE-S3 only
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=False,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(ACCESS_LOG_EXPIRY_DAYS))],
            removal_policy=RemovalPolicy.RETAIN if profile.retain_data else RemovalPolicy.DESTROY,
            auto_delete_objects=False,
        )
        acknowledge(
            self.access_logs,
            "AwsSolutions-S1",
            "This bucket is the access-log destination itself; logging it would recurse.",
        )
        self.load_balancer.log_access_logs(self.access_logs, prefix="alb")

        self.certificate = acm.Certificate(
            self,
            "Certificate",
            domain_name=certificate_domain,
            validation=acm.CertificateValidation.from_dns(zone),
        )
        self.http_listener = self.load_balancer.add_listener(
            "Http",
            port=80,
            protocol=elbv2.ApplicationProtocol.HTTP,
            open=False,
            default_action=elbv2.ListenerAction.redirect(protocol="HTTPS", port="443", permanent=True),
        )
        self.https_listener = self.load_balancer.add_listener(
            "Https",
            port=443,
            protocol=elbv2.ApplicationProtocol.HTTPS,
            certificates=[elbv2.ListenerCertificate.from_certificate_manager(self.certificate)],
            ssl_policy=elbv2.SslPolicy.RECOMMENDED_TLS,
            open=False,
        )

    def add_alias(self, construct_id: str, *, zone: route53.IHostedZone, host: str) -> route53.ARecord:
        return route53.ARecord(
            self,
            construct_id,
            zone=zone,
            record_name=host,
            target=route53.RecordTarget.from_alias(targets.LoadBalancerTarget(self.load_balancer)),
        )
