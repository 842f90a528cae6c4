"""The API's Fargate task definition (ARM64) from the service contract: container, log group, roles."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ssm as ssm
from constructs import Construct
from macro_ai_contract.service import ServiceContract

from macro_ai_infra.constructs import log_retention
from macro_ai_infra.nag import acknowledge, acknowledge_parameter_path, parameter_path_arns
from macro_ai_infra.profile import Profile

TMP_VOLUME = "tmp"


def container_health_command(contract: ServiceContract) -> list[str]:
    """Container health check with python (the image has no curl), on the contract's containerCheck path."""
    url = f"http://127.0.0.1:{contract.port}{contract.container_check_path}"
    script = f"import urllib.request; urllib.request.urlopen('{url}', timeout=2)"
    return ["CMD", "python", "-c", script]


@dataclass(frozen=True)
class TaskInputs:
    """What the container gets: its image, plain settings, and where each secret value comes from."""

    repository: ecr.IRepository
    image_tag: str
    environment: Mapping[str, str]
    parameters: Mapping[str, ssm.IParameter]  # injected by ECS from Parameter Store
    app_secret: secretsmanager.ISecret
    app_secret_keys: tuple[str, ...]  # injected by ECS from the app secret's JSON keys
    parameter_prefix: str  # the environment's own hierarchy, readable at run time
    database_login: secretsmanager.ISecret | None = None  # the app's database role (in-stack database)


class ApiTaskDefinition(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        profile: Profile,
        contract: ServiceContract,
        name: str,
        inputs: TaskInputs,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/macro-ai/{name}/api",
            retention=log_retention(profile.log_retention_days),
            removal_policy=RemovalPolicy.RETAIN if profile.retain_data else RemovalPolicy.DESTROY,
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
                resources=parameter_path_arns(self, inputs.parameter_prefix),
            )
        )
        acknowledge_parameter_path(self.task_role, inputs.parameter_prefix)
        inputs.app_secret.grant_read(self.task_role)
        if inputs.database_login is not None:
            # The app role's login secret: read at start and on every refresh, to follow a password change.
            inputs.database_login.grant_read(self.task_role)

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
            key: ecs.Secret.from_ssm_parameter(parameter) for key, parameter in inputs.parameters.items()
        }
        for key in inputs.app_secret_keys:
            secrets[key] = ecs.Secret.from_secrets_manager(inputs.app_secret, field=key)

        self.container = self.task_definition.add_container(
            "api",
            container_name="api",
            image=ecs.ContainerImage.from_ecr_repository(inputs.repository, tag=inputs.image_tag),
            essential=True,
            port_mappings=[ecs.PortMapping(container_port=contract.port, name="http")],
            environment=dict(inputs.environment),
            secrets=dict(sorted(secrets.items())),
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
                "the contract is injected from Secrets Manager or Parameter Store (enforced by the "
                "secret-scan test)."
            ),
        )
