"""What a migration works on, read from the stack's outputs: router, gates, capacity, weight store."""

from __future__ import annotations

from dataclasses import dataclass

from macro_ai_contract.outputs import StackOutput, StackParameter

from macro_ai_deploy.aws.cfn import StackInfo, StackWeightStore
from macro_ai_deploy.aws.cloudwatch import Alarms, parse_alarm_names
from macro_ai_deploy.aws.elbv2 import ListenerRouter, LoadBalancing
from macro_ai_deploy.aws.extra_gates import EcsDeployments, LoadBalancerMetrics
from macro_ai_deploy.aws.gates import AwsGates
from macro_ai_deploy.aws.scaling import EcsCapacity
from macro_ai_deploy.envs import Environment
from macro_ai_deploy.errors import Refused
from macro_ai_deploy.migration.plan import default_min_healthy
from macro_ai_deploy.runtime import Runtime


@dataclass
class MigrationTarget:
    env: Environment
    info: StackInfo
    lb: LoadBalancing
    router: ListenerRouter
    gates: AwsGates
    capacity: EcsCapacity
    store: StackWeightStore | None
    alarm_names: list[str]
    min_healthy_tasks: int


def open_target(rt: Runtime, env: Environment, min_healthy_tasks: int | None) -> MigrationTarget:
    """The stack's migration surface. `min_healthy_tasks` None: the IaC's own minimum (see plan.py)."""
    stacks = rt.stacks()
    info = stacks.describe(env.stack_name)
    if StackOutput.LEGACY_TARGET_GROUP_ARN not in info.outputs:
        raise Refused(
            f"stack {env.stack_name} exports no LegacyTargetGroupArn: no legacy fleet, nothing to migrate"
        )
    lb = LoadBalancing(rt.aws.client("elbv2"))
    legacy = info.output(StackOutput.LEGACY_TARGET_GROUP_ARN)
    ecs_tg = info.output(StackOutput.ECS_TARGET_GROUP_ARN)
    # adopt mode exports the weighted rule on the running listener: then the rule moves, not the default
    router = ListenerRouter(
        lb,
        info.output(StackOutput.LISTENER_ARN),
        legacy,
        ecs_tg,
        rule_arn=info.outputs.get(StackOutput.LISTENER_RULE_ARN) or None,
    )
    capacity = EcsCapacity(
        rt.aws.client("application-autoscaling"),
        rt.aws.client("ecs"),
        info.output(StackOutput.CLUSTER_NAME),
        info.output(StackOutput.SERVICE_NAME),
    )
    if min_healthy_tasks is None:
        min_healthy_tasks = default_min_healthy(capacity.scaling_minimum(), capacity.desired_count())
    names = parse_alarm_names(info.outputs.get(StackOutput.ROLLOUT_ALARM_NAMES, ""))
    gates = AwsGates(
        Alarms(rt.aws.client("cloudwatch")),
        names,
        lb,
        legacy,
        ecs_tg,
        min_healthy_tasks,
        utcnow=rt.utcnow,
        read_history=rt.alarm_history,
        metrics=LoadBalancerMetrics(
            rt.aws.client("cloudwatch"), info.output(StackOutput.LISTENER_ARN), ecs_tg
        ),
        deployments=EcsDeployments(
            rt.aws.client("ecs"), info.output(StackOutput.CLUSTER_NAME), info.output(StackOutput.SERVICE_NAME)
        ),
    )
    store = None
    if StackParameter.LEGACY_WEIGHT in info.parameters and StackParameter.ECS_WEIGHT in info.parameters:
        store = StackWeightStore(stacks, env.stack_name, rt.clock, interval=rt.cfn_poll_seconds)
    return MigrationTarget(env, info, lb, router, gates, capacity, store, names, min_healthy_tasks)
