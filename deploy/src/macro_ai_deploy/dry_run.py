"""`deploy --dry-run`: what would change (stack parameters, the task definition) and how long a rolling
step takes with this stack's settings. Reads only."""

from __future__ import annotations

from macro_ai_contract.outputs import StackOutput, StackParameter

from macro_ai_deploy.aws.ecs import Ecs, td_short
from macro_ai_deploy.aws.elbv2 import LoadBalancing
from macro_ai_deploy.envs import Environment
from macro_ai_deploy.phase_budget import SERVING_AIM_SECONDS, StepSettings, budget
from macro_ai_deploy.runtime import Runtime


def _secs(v: float) -> str:
    return f"{v:.0f} s"


def deploy_preview(rt: Runtime, env: Environment, tag: str, start_estimate: float) -> list[str]:
    info = rt.stacks().describe(env.stack_name)
    ecs = Ecs(rt.aws.client("ecs"))
    svc = ecs.service(info.output(StackOutput.CLUSTER_NAME), info.output(StackOutput.SERVICE_NAME))
    td = ecs.task_definition(svc["taskDefinition"])
    old_tag = info.parameters.get(StackParameter.IMAGE_TAG, "?")
    lines = [f"deploy {env.name} (dry run: nothing changes)", "stack parameters:"]
    for key in info.parameters:
        if key == StackParameter.IMAGE_TAG:
            mark = f"{old_tag} -> {tag}" if old_tag != tag else f"{tag} (unchanged)"
            lines.append(f"  {key}: {mark}")
    lines.append(f"  other parameters: unchanged ({len(info.parameters) - 1}), template unchanged")
    lines.append(f"task definition {td_short(svc['taskDefinition'])} -> a new revision with:")
    changed = False
    for c in td.get("containerDefinitions", []):
        image = str(c.get("image", ""))
        if image.endswith(f":{old_tag}") and old_tag != tag:
            lines.append(f"  container {c['name']}: image {image} -> {image[: -len(old_tag)]}{tag}")
            changed = True
    if not changed:
        lines.append("  no container changes (the service is re-checked, not replaced)")
    tg = info.outputs.get(StackOutput.ECS_TARGET_GROUP_ARN)
    if tg:
        interval, threshold, delay = LoadBalancing(rt.aws.client("elbv2")).health_check(tg)
        stop = max((int(c.get("stopTimeout", 30)) for c in td.get("containerDefinitions", [])), default=30)
        phases, serving, gone = budget(StepSettings(start_estimate, interval, threshold, delay, stop))
        lines.append("phase budget of a rolling step (this stack's settings):")
        for p in phases:
            lines.append(f"  {p.name:<42}{_secs(p.seconds):>7}  {p.note}")
        verdict = "within" if serving < SERVING_AIM_SECONDS else "OVER"
        lines.append(
            f"  {'new revision serving':<42}{_secs(serving):>7}  {verdict} the {SERVING_AIM_SECONDS} s aim"
        )
        lines.append(f"  {'old tasks gone':<42}{_secs(gone):>7}  bounded by the longest stream")
    return lines
