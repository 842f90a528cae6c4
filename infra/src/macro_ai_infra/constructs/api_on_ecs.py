"""The ECS side of one environment or preview, on whatever platform it was given: target group, task
definition, security group, rollout gates, service (rolled back on those gates), scaling, alarms."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_sns as sns
from constructs import Construct
from macro_ai_contract.service import ServiceContract

from macro_ai_infra.constructs.api_metrics import ApiLogQueries, ApiMetricReader
from macro_ai_infra.constructs.load_balancer import api_target_group
from macro_ai_infra.constructs.monitoring import Monitoring, RolloutAlarms, TargetGroupMetrics
from macro_ai_infra.constructs.platform import Platform
from macro_ai_infra.constructs.scaling import ServiceScaling
from macro_ai_infra.constructs.service import ApiService
from macro_ai_infra.constructs.task_definition import ApiTaskDefinition, TaskInputs
from macro_ai_infra.constructs.task_security import TaskSecurityGroup
from macro_ai_infra.profile import Profile
from macro_ai_infra.timing import drain_timing


class ApiOnEcs(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        profile: Profile,
        contract: ServiceContract,
        name: str,
        platform: Platform,
        inputs: TaskInputs,
        stack_database_group: ec2.ISecurityGroup | None,
        topic: sns.ITopic,
        legacy_target_group_full_name: str | None,
        dashboard: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        self.timing = drain_timing(contract)
        self.target_group = api_target_group(
            self,
            "TargetGroup",
            vpc=platform.vpc,
            port=contract.port,
            health_check_path=contract.load_balancer_check_path,
            timing=self.timing,
        )
        self.task = ApiTaskDefinition(
            self, "Task", profile=profile, contract=contract, name=name, inputs=inputs
        )
        self.security = TaskSecurityGroup(
            self,
            "Security",
            description=f"{name} API tasks: inbound only from the load balancer",
            vpc=platform.vpc,
            port=contract.port,
            load_balancer_security_group=platform.load_balancer_security_group,
            database=profile.database,
            stack_database_group=stack_database_group,
        )
        ecs_metrics = TargetGroupMetrics(
            platform.load_balancer_full_name, self.target_group.target_group_full_name
        )
        legacy_metrics = (
            TargetGroupMetrics(platform.load_balancer_full_name, legacy_target_group_full_name, "legacy")
            if legacy_target_group_full_name is not None
            else None
        )
        self.gates = RolloutAlarms(
            self,
            "Gates",
            name=name,
            thresholds=profile.alarms,
            topic=topic,
            ecs_target_group=ecs_metrics,
            legacy_target_group=legacy_metrics,
            log_group=self.task.log_group,
            unhandled_error_message=contract.unhandled_error_message,
            sleeps_on_schedule=any(s.max_capacity == 0 for s in profile.schedules),
        )
        self.api = ApiService(
            self,
            "Service",
            profile=profile,
            name=name,
            cluster=platform.cluster,
            task_definition=self.task.task_definition,
            subnets=platform.task_subnets,
            assign_public_ip=platform.assign_public_ip,
            security_group=self.security.group,
            target_group=self.target_group,
            deployment_alarm_names=self.gates.deployment_alarm_names,
        )
        self.service = self.api.service
        # ECS refers to its deployment alarms by name: they exist before the service does.
        for gate in self.gates.deployment_alarm_names:
            self.service.node.add_dependency(self.gates.by_gate[gate.removeprefix(f"{name}-")])
        self.scaling = ServiceScaling(
            self,
            "Scaling",
            profile=profile,
            service=self.service,
            request_count_label=f"{platform.load_balancer_full_name}/{self.target_group.target_group_full_name}",
        )
        self.log_queries = ApiLogQueries(self, "LogQueries", name=name, log_group=self.task.log_group)
        # The dimension values the tasks write: the contract's service name and the APP_ENV they are given.
        self.api_metrics = ApiMetricReader(contract.service, inputs.environment["APP_ENV"])
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            name=name,
            thresholds=profile.alarms,
            topic=topic,
            service=self.service,
            gates=self.gates,
            ecs_target_group=ecs_metrics,
            legacy_target_group=legacy_metrics,
            api=self.api_metrics,
            log_queries=self.log_queries,
            dashboard=dashboard,
        )
