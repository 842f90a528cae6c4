"""The legacy EC2 fleet of the old Node.js API, modelled as it runs today.

Launch template, Auto Scaling group, target group, security group and instance role.

It exists so the migration can be rehearsed end to end; ``Profile.legacy_fleet = False`` removes all of it
(the EC2 cleanup) without touching a single resource of the new service.
"""

from __future__ import annotations

from aws_cdk import Aws, Duration
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from constructs import Construct

from macro_ai_infra.constructs.load_balancer import api_target_group
from macro_ai_infra.constructs.task_security import TaskSecurityGroup
from macro_ai_infra.nag import acknowledge, acknowledge_parameter_path, parameter_path_arns
from macro_ai_infra.profile import LegacyFleetConfig, Profile
from macro_ai_infra.timing import DrainTiming

APP_DIR = "/opt/macro-ai-api"
ENV_FILE = "/etc/macro-ai-api.env"


def legacy_user_data(
    config: LegacyFleetConfig, *, port: int, parameter_prefix: str, secret_id: str, region: str
) -> ec2.UserData:
    """Install Node.js and the old API from its artifact, render its env file, run it under systemd."""
    user_data = ec2.UserData.for_linux()
    node = f"nodejs{config.node_major_version}"
    user_data.add_commands(
        "set -euo pipefail",
        f"dnf install -y {node} {node}-npm jq",
        f"id macroai >/dev/null 2>&1 || useradd --system --home-dir {APP_DIR} --shell /sbin/nologin macroai",
        f"mkdir -p {APP_DIR}",
        f"aws s3 cp s3://{config.artifact_bucket}/{config.artifact_key} /tmp/macro-ai-api.tar.gz",
        f"tar -xzf /tmp/macro-ai-api.tar.gz -C {APP_DIR}",
        f"cd {APP_DIR} && npm-{config.node_major_version} ci --omit=dev --no-audit --no-fund",
        f"chown -R macroai:macroai {APP_DIR}",
        # Environment: Parameter Store hierarchy, then the JSON secret; file readable by root only.
        "cat > /usr/local/bin/macro-ai-render-env <<'EOF'",
        "#!/bin/bash",
        "set -euo pipefail",
        "umask 077",
        f"tmp=$(mktemp) && aws ssm get-parameters-by-path --region {region} --path {parameter_prefix} "
        "--with-decryption --recursive --output json "
        '| jq -r \'.Parameters[] | "\\(.Name | split("/") | last)=\\(.Value)"\' > "$tmp"',
        f"aws secretsmanager get-secret-value --region {region} --secret-id {secret_id} "
        '--query SecretString --output text | jq -r \'to_entries[] | "\\(.key)=\\(.value)"\' >> "$tmp"',
        f'echo SERVER_PORT={port} >> "$tmp"',
        f'mv "$tmp" {ENV_FILE}',
        "EOF",
        "chmod 0755 /usr/local/bin/macro-ai-render-env",
        "cat > /etc/systemd/system/macro-ai-api.service <<'EOF'",
        "[Unit]",
        "Description=Macro AI API (legacy Node.js)",
        "After=network-online.target",
        "Wants=network-online.target",
        "[Service]",
        "Type=simple",
        # "+": the env file is rendered as root (the service user cannot read the secret's file)
        "ExecStartPre=+/usr/local/bin/macro-ai-render-env",
        f"EnvironmentFile={ENV_FILE}",
        "User=macroai",
        f"WorkingDirectory={APP_DIR}",
        f"ExecStart=/usr/bin/node-{config.node_major_version} dist/index.js",
        "Restart=always",
        "RestartSec=2",
        "KillSignal=SIGTERM",
        "TimeoutStopSec=30",
        "[Install]",
        "WantedBy=multi-user.target",
        "EOF",
        "systemctl daemon-reload",
        "systemctl enable --now macro-ai-api.service",
    )
    return user_data


class LegacyFleet(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        profile: Profile,
        name: str,
        port: int,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        associate_public_ip: bool,
        load_balancer_security_group: ec2.ISecurityGroup,
        parameter_prefix: str,
        app_secret: secretsmanager.ISecret,
        notifications_topic: sns.ITopic,
        stack_database_group: ec2.ISecurityGroup | None,
        timing: DrainTiming,
    ) -> None:
        super().__init__(scope, construct_id)
        config = profile.legacy
        self.security_group = TaskSecurityGroup(
            self,
            "SecurityGroup",
            description=f"{name} legacy EC2 API: inbound only from the load balancer",
            vpc=vpc,
            port=port,
            load_balancer_security_group=load_balancer_security_group,
            database=profile.database,
            stack_database_group=stack_database_group,
        ).group

        self.role = iam.Role(
            self,
            "InstanceRole",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            description=f"{name} legacy API instances",
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("AmazonSSMManagedInstanceCore")],
        )
        acknowledge(
            self.role,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]",
            "Session Manager access instead of SSH, as the legacy fleet runs today.",
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="ReleaseArtifact",
                actions=["s3:GetObject"],
                resources=[f"arn:{Aws.PARTITION}:s3:::{config.artifact_bucket}/{config.artifact_key}"],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadOwnParameters",
                actions=["ssm:GetParametersByPath"],
                resources=parameter_path_arns(self, parameter_prefix),
            )
        )
        acknowledge_parameter_path(self.role, parameter_prefix)
        app_secret.grant_read(self.role)

        user_data = legacy_user_data(
            config,
            port=port,
            parameter_prefix=parameter_prefix,
            secret_id=app_secret.secret_name,
            region=Aws.REGION,
        )
        self.launch_template = ec2.LaunchTemplate(
            self,
            "LaunchTemplate",
            instance_type=ec2.InstanceType(config.instance_type),
            # Pinned by id: an image-only deploy of the API must not replace the fleet with a newer AMI.
            machine_image=ec2.MachineImage.generic_linux({profile.region: config.machine_image_id}),
            role=self.role,
            security_group=self.security_group,
            user_data=user_data,
            require_imdsv2=True,
            associate_public_ip_address=associate_public_ip,
            detailed_monitoring=True,
            block_devices=[
                ec2.BlockDevice(
                    device_name="/dev/xvda",
                    volume=ec2.BlockDeviceVolume.ebs(
                        20, encrypted=True, volume_type=ec2.EbsDeviceVolumeType.GP3
                    ),
                )
            ],
        )
        self.auto_scaling_group = autoscaling.AutoScalingGroup(
            self,
            "AutoScalingGroup",
            vpc=vpc,
            vpc_subnets=subnets,
            launch_template=self.launch_template,
            min_capacity=config.min_size,
            max_capacity=config.max_size,
            health_checks=autoscaling.HealthChecks.with_additional_checks(
                additional_types=[autoscaling.AdditionalHealthCheckType.ELB],
                grace_period=Duration.minutes(5),
            ),
            notifications=[autoscaling.NotificationConfiguration(topic=notifications_topic)],
            # A change of the launch template replaces instances in batches, keeping capacity in service.
            update_policy=autoscaling.UpdatePolicy.rolling_update(
                min_instances_in_service=config.min_size,
                max_batch_size=1,
                pause_time=Duration.minutes(5),
                wait_on_resource_signals=False,
            ),
        )
        self.target_group = api_target_group(
            self,
            "TargetGroup",
            vpc=vpc,
            port=port,
            health_check_path=config.health_check_path,
            timing=timing,
            target_type=elbv2.TargetType.INSTANCE,
        )
        self.auto_scaling_group.attach_to_application_target_group(self.target_group)
