"""The migration's safety net on the AWS side: an EventBridge rule on the rollout alarms invokes a small
Python function that moves traffic back to a healthy legacy fleet (``macro_ai_infra.safety_net.handler``).

It works when the operator's CLI has died mid-migration: nothing here depends on a laptop.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as events_targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from macro_ai_infra.constructs import log_retention
from macro_ai_infra.nag import acknowledge

HANDLER_DIR = Path(__file__).resolve().parents[1] / "safety_net"
RUNTIME = lambda_.Runtime.PYTHON_3_14


class SafetyNet(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        alarms: list[cloudwatch.Alarm],
        weights_arn: str,
        weights_on_rule: bool,
        legacy_target_group_arn: str,
        ecs_target_group_arn: str,
        record_parameter: str,
        log_retention_days: int,
        retain_logs: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/macro-ai/{name}/safety-net",
            retention=log_retention(log_retention_days),
            removal_policy=RemovalPolicy.RETAIN if retain_logs else RemovalPolicy.DESTROY,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{name} migration safety net: move weights back, record why",
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="WriteOwnLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="MoveTheWeights",
                actions=[
                    "elasticloadbalancing:ModifyRule"
                    if weights_on_rule
                    else "elasticloadbalancing:ModifyListener"
                ],
                resources=[weights_arn],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadWeightsAndHealth",
                actions=[
                    "elasticloadbalancing:DescribeRules",
                    "elasticloadbalancing:DescribeListeners",
                    "elasticloadbalancing:DescribeTargetHealth",
                ],
                resources=["*"],
            )
        )
        parameter_arn = stack.format_arn(
            service="ssm", resource="parameter", resource_name=record_parameter.lstrip("/")
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="MigrationRecord",
                actions=["ssm:GetParameter", "ssm:PutParameter"],
                resources=[parameter_arn],
            )
        )
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "elasticloadbalancing:Describe* actions have no resource-level permissions (AWS requires '*'); "
            "they only read. The one write is scoped to the weights' listener or rule ARN.",
        )
        self.function = lambda_.Function(
            self,
            "Function",
            description=f"{name}: on a rollout alarm, move traffic back to a healthy legacy fleet",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler="handler.handler",
            code=lambda_.Code.from_asset(str(HANDLER_DIR), exclude=["__pycache__", "*.pyc", "__init__.py"]),
            role=self.role,
            log_group=self.log_group,
            timeout=Duration.seconds(30),
            memory_size=128,
            environment={
                "WEIGHTS_ARN": weights_arn,
                "LEGACY_TARGET_GROUP_ARN": legacy_target_group_arn,
                "ECS_TARGET_GROUP_ARN": ecs_target_group_arn,
                "MIGRATION_RECORD_PARAMETER": record_parameter,
            },
        )
        self.rule = events.Rule(
            self,
            "OnRolloutAlarm",
            description=f"{name}: a rollout alarm went to ALARM",
            event_pattern=events.EventPattern(
                source=["aws.cloudwatch"],
                detail_type=["CloudWatch Alarm State Change"],
                resources=[a.alarm_arn for a in alarms],
                detail={"state": {"value": ["ALARM"]}},
            ),
            targets=[events_targets.LambdaFunction(self.function, retry_attempts=2)],
        )
