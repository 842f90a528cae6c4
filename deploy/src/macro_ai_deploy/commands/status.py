"""`status`: one view of an environment (image, deployments, tasks, target health, weights, alarms)."""

from __future__ import annotations

import typer
from macro_ai_contract.outputs import StackOutput, StackParameter
from rich.table import Table

from macro_ai_deploy.aws.cloudwatch import Alarms, parse_alarm_names
from macro_ai_deploy.aws.ecs import Ecs, td_short
from macro_ai_deploy.aws.elbv2 import LoadBalancing, tg_short
from macro_ai_deploy.runtime import EnvArg, console, environment, runtime, say
from macro_ai_deploy.views import deployments_table

_SHOWN_PARAMETERS = (StackParameter.IMAGE_TAG, StackParameter.LEGACY_WEIGHT, StackParameter.ECS_WEIGHT)
_FLEETS = (("ecs", StackOutput.ECS_TARGET_GROUP_ARN), ("legacy", StackOutput.LEGACY_TARGET_GROUP_ARN))


def status(ctx: typer.Context, env: EnvArg) -> None:
    """One view of ENV: image, deployments, task counts, target health, listener weights, alarms."""
    rt = runtime(ctx)
    e = environment(env)
    info = rt.stacks().describe(e.stack_name)
    console.print(f"[bold]{e.name}[/] stack {info.name}: {info.status}")
    params = ", ".join(f"{k}={info.parameters[k]}" for k in _SHOWN_PARAMETERS if k in info.parameters)
    say(f"parameters: {params or '-'}")
    if StackOutput.SERVICE_URL in info.outputs:
        say(f"url: {info.outputs[StackOutput.SERVICE_URL]}")
    ecs = Ecs(rt.aws.client("ecs"))
    svc = ecs.service(info.output(StackOutput.CLUSTER_NAME), info.output(StackOutput.SERVICE_NAME))
    image = ecs.image_of(svc["taskDefinition"], info.outputs.get(StackOutput.ECR_REPOSITORY_NAME, ""))
    say(f"service {svc['serviceName']}: {td_short(svc['taskDefinition'])}, image {image}")
    say(
        f"tasks: desired {svc.get('desiredCount', 0)}, running {svc.get('runningCount', 0)}, "
        f"pending {svc.get('pendingCount', 0)}"
    )
    console.print(deployments_table(svc.get("deployments", [])))
    lb = LoadBalancing(rt.aws.client("elbv2"))
    th = Table(title="target health", title_justify="left")
    th.add_column("target group")
    th.add_column("states")
    for fleet, key in _FLEETS:
        if key in info.outputs:
            h = lb.target_health(info.outputs[key])
            th.add_row(f"{fleet} ({tg_short(h.target_group_arn)})", h.summary())
    console.print(th)
    if StackOutput.LISTENER_ARN in info.outputs:
        raw = lb.forward_weights(info.outputs[StackOutput.LISTENER_ARN])
        say("listener weights: " + ", ".join(f"{tg_short(k)}={v}" for k, v in raw.items()))
    names = parse_alarm_names(info.outputs.get(StackOutput.ROLLOUT_ALARM_NAMES, ""))
    if names:
        at = Table(title="alarms", title_justify="left")
        at.add_column("alarm")
        at.add_column("state")
        for a in Alarms(rt.aws.client("cloudwatch")).states(names):
            color = {"OK": "green", "ALARM": "red"}.get(a.state, "yellow")
            at.add_row(a.name, f"[{color}]{a.state}[/]")
        console.print(at)
