"""Service: ECS cluster, Fargate task definition (ARM64) from the service contract, service, scaling."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ssm as ssm
from constructs import Construct
from macro_ai_contract.service import ServiceContract

from macro_ai_infra.constructs import log_retention
from macro_ai_infra.nag import acknowledge, acknowledge_parameter_path, parameter_path_arns
from macro_ai_infra.profiles import Profile

TMP_VOLUME = "tmp"


def container_health_command(contract: ServiceContract) -> list[str]:
    """Container health check with python (the image has no curl), on the contract's containerCheck path."""
    url = f"http://127.0.0.1:{contract.port}{contract.container_check_path}"
    script = f"import urllib.request; urllib.request.urlopen('{url}', timeout=2)"
    return ["CMD", "python", "-c", script]


def create_cluster(
    scope: Construct, construct_id: str, *, vpc: ec2.IVpc, profile: Profile, cluster_name: str
) -> ecs.Cluster:
    return ecs.Cluster(
        scope,
        construct_id,
        vpc=vpc,
        cluster_name=cluster_name,
        container_insights_v2=(
            ecs.ContainerInsights.ENABLED if profile.container_insights else ecs.ContainerInsights.DISABLED
        ),
        enable_fargate_capacity_providers=True,
    )


class ApiService(Construct):
    """The API on Fargate behind a target group."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        profile: Profile,
        contract: ServiceContract,
        name: str,
        cluster: ecs.ICluster,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        assign_public_ip: bool,
        repository: ecr.IRepository,
        image_tag: str,
        environment: Mapping[str, str],
        parameter_secrets: Mapping[str, ssm.IStringParameter],
        app_secret: secretsmanager.ISecret,
        parameter_prefix: str,
        target_group: elbv2.IApplicationTargetGroup,
        load_balancer_security_group: ec2.ISecurityGroup,
        database_security_group: ec2.ISecurityGroup | None,
        database_cidr: str | None,
    ) -> None:
        super().__init__(scope, construct_id)
        removal = RemovalPolicy.RETAIN if profile.retain_data else RemovalPolicy.DESTROY

        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/macro-ai/{name}/api",
            retention=log_retention(profile.log_retention_days),
            removal_policy=removal,
        )

        # Execution role: pull the image, write logs, resolve the injected secrets (CDK grants per secret).
        self.execution_role = iam.Role(
            self,
            "ExecutionRole",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description=f"{name}: ECS agent pulls the image, writes logs, injects secrets",
        )
        # Task role: what the running API may call. Only run-time reads of its own configuration.
        self.task_role = iam.Role(
            self,
            "TaskRole",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description=f"{name}: the API reads its own configuration at run time",
        )
        self.task_role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadOwnParameters",
                actions=["ssm:GetParametersByPath", "ssm:GetParameters", "ssm:GetParameter"],
                resources=parameter_path_arns(self, parameter_prefix),
            )
        )
        acknowledge_parameter_path(self.task_role, parameter_prefix)
        app_secret.grant_read(self.task_role)
        if database_login := environment.get("DATABASE_LOGIN_ID"):
            # The RDS-managed master secret: read at start and on every refresh, to follow rotation.
            self.task_role.add_to_policy(
                iam.PolicyStatement(
                    sid="ReadDatabaseLogin",
                    actions=["secretsmanager:GetSecretValue"],
                    resources=[database_login],
                )
            )

        self.task_definition = ecs.FargateTaskDefinition(
            self,
            "TaskDefinition",
            family=f"{name}-api",
            cpu=profile.cpu,
            memory_limit_mib=profile.memory_mib,
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=ecs.CpuArchitecture.ARM64,
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
            execution_role=self.execution_role,
            task_role=self.task_role,
            volumes=[ecs.Volume(name=TMP_VOLUME)],
        )

        secrets: dict[str, ecs.Secret] = {
            key: ecs.Secret.from_ssm_parameter(parameter) for key, parameter in parameter_secrets.items()
        }
        for key in contract.secrets:
            secrets[key] = ecs.Secret.from_secrets_manager(app_secret, field=key)

        self.container = self.task_definition.add_container(
            "api",
            container_name="api",
            image=ecs.ContainerImage.from_ecr_repository(repository, tag=image_tag),
            essential=True,
            port_mappings=[ecs.PortMapping(container_port=contract.port, name="http")],
            environment=dict(environment),
            secrets=secrets,
            logging=ecs.LogDriver.aws_logs(
                stream_prefix="api",
                log_group=self.log_group,
                mode=ecs.AwsLogDriverMode.NON_BLOCKING,
                max_buffer_size=None,
            ),
            health_check=ecs.HealthCheck(
                command=container_health_command(contract),
                interval=Duration.seconds(15),
                timeout=Duration.seconds(5),
                retries=3,
                start_period=Duration.seconds(profile.health_check_grace_seconds),
            ),
            readonly_root_filesystem=True,
            linux_parameters=ecs.LinuxParameters(self, "LinuxParameters", init_process_enabled=True),
            stop_timeout=Duration.seconds(contract.stop_timeout_seconds),
            user=None,
        )
        self.container.add_mount_points(
            ecs.MountPoint(source_volume=TMP_VOLUME, container_path="/tmp", read_only=False)  # noqa: S108
        )

        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description=f"{name} API tasks: inbound only from the load balancer",
            allow_all_outbound=False,
        )
        self.security_group.add_ingress_rule(
            load_balancer_security_group, ec2.Port.tcp(contract.port), "from the load balancer only"
        )
        self.security_group.add_egress_rule(
            ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "AWS APIs, Cognito, model provider (HTTPS)"
        )
        if database_security_group is not None:
            self.security_group.connections.allow_to(
                database_security_group, ec2.Port.tcp(5432), "PostgreSQL"
            )
        elif database_cidr is not None:
            self.security_group.add_egress_rule(
                ec2.Peer.ipv4(database_cidr), ec2.Port.tcp(5432), "PostgreSQL inside the VPC"
            )

        capacity = (
            [ecs.CapacityProviderStrategy(capacity_provider="FARGATE_SPOT", weight=1)]
            if profile.spot
            else [ecs.CapacityProviderStrategy(capacity_provider="FARGATE", weight=1, base=1)]
        )
        self.service = ecs.FargateService(
            self,
            "Service",
            service_name=f"{name}-api",
            cluster=cluster,
            task_definition=self.task_definition,
            # No DesiredCount in the template: autoscaling owns it, so a deploy never resets a scaled-out
            # service (CloudFormation starts a new service with 1 task; min capacity lifts it at once).
            desired_count=None,
            min_healthy_percent=100,
            max_healthy_percent=200,
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
            health_check_grace_period=Duration.seconds(profile.health_check_grace_seconds),
            capacity_provider_strategies=capacity,
            vpc_subnets=subnets,
            assign_public_ip=assign_public_ip,
            security_groups=[self.security_group],
            enable_ecs_managed_tags=True,
            propagate_tags=ecs.PropagatedTagSource.SERVICE,
            platform_version=ecs.FargatePlatformVersion.LATEST,
        )
        self.service.attach_to_application_target_group(target_group)

        scaling = self.service.auto_scale_task_count(
            min_capacity=profile.min_capacity, max_capacity=profile.max_capacity
        )
        scaling.scale_on_cpu_utilization(
            "Cpu",
            target_utilization_percent=profile.cpu_target_percent,
            scale_in_cooldown=Duration.seconds(300),
            scale_out_cooldown=Duration.seconds(60),
        )
        scaling.scale_on_memory_utilization(
            "Memory",
            target_utilization_percent=profile.memory_target_percent,
            scale_in_cooldown=Duration.seconds(300),
            scale_out_cooldown=Duration.seconds(60),
        )
        if profile.requests_per_target is not None and isinstance(target_group, elbv2.ApplicationTargetGroup):
            scaling.scale_on_request_count(
                "Requests",
                requests_per_target=profile.requests_per_target,
                target_group=target_group,
                scale_in_cooldown=Duration.seconds(300),
                scale_out_cooldown=Duration.seconds(60),
            )
        for schedule in profile.schedules:
            scaling.scale_on_schedule(
                schedule.name,
                schedule=appscaling.Schedule.cron(
                    minute=schedule.minute, hour=schedule.hour, week_day=schedule.week_day
                ),
                min_capacity=schedule.min_capacity,
                max_capacity=schedule.max_capacity,
            )
        self.scaling = scaling

        acknowledge(
            self.execution_role,
            "AwsSolutions-IAM5[Resource::*]",
            "ecr:GetAuthorizationToken has no resource-level permissions (AWS requires '*'); image pulls "
            "themselves are scoped to the one repository.",
        )
        acknowledge(
            self.task_definition,
            "AwsSolutions-ECS2",
            (
                "Only non-secret settings from the profile are plain environment values; every secret of "
                "the contract is injected from Secrets Manager (enforced by the secret-scan test)."
            ),
        )
