"""`deploy`, `rollback`, `db-migrate`: change the image of an environment and watch to the verdict."""

from __future__ import annotations

from typing import Annotated

import typer
from macro_ai_contract.outputs import StackOutput, StackParameter
from rich.live import Live

from macro_ai_deploy.aws.cfn import StackInfo, Stacks
from macro_ai_deploy.aws.ecr import Registry
from macro_ai_deploy.aws.ecs import Ecs, image_tag, td_short
from macro_ai_deploy.aws.elbv2 import LoadBalancing
from macro_ai_deploy.dbmigrate import DbMigration
from macro_ai_deploy.dry_run import deploy_preview
from macro_ai_deploy.envs import Environment
from macro_ai_deploy.errors import NotFound, Refused
from macro_ai_deploy.runtime import (
    EnvArg,
    ImageTagOpt,
    Runtime,
    YesOpt,
    confirm_change,
    console,
    duration,
    environment,
    runtime,
    say,
)
from macro_ai_deploy.signals import sigterm_as_interrupt
from macro_ai_deploy.views import snapshot_view
from macro_ai_deploy.watch import DeploymentWatcher, Snapshot, Verdict, WatchResult

TimeoutOpt = Annotated[str, typer.Option(help="Give up watching after this long.")]
IntervalOpt = Annotated[str, typer.Option(help="Poll interval.")]


def _watch(
    rt: Runtime, watcher: DeploymentWatcher, prev_td: str, expect_change: bool, known: frozenset[str]
) -> WatchResult:
    t0 = rt.clock.now()
    if console.is_terminal:
        with Live(console=console, refresh_per_second=4, transient=False) as live:
            watcher.on_poll = lambda snap, stage: live.update(snapshot_view(snap, stage, rt.clock.now() - t0))
            return watcher.watch(prev_td, expect_change, known)
    last = {"stage": ""}

    def line(snap: Snapshot, stage: str) -> None:
        if stage != last["stage"]:
            say(f"[{rt.clock.now() - t0:5.0f}s] {stage}")
            last["stage"] = stage

    watcher.on_poll = line
    return watcher.watch(prev_td, expect_change, known)


def roll(
    rt: Runtime,
    env: Environment,
    tag: str,
    timeout: float,
    interval: float,
    check_image: bool,
    verb: str,
    wait: bool = True,
) -> None:
    """Set the stack's ImageTag (template unchanged) and watch the ECS deployment to its verdict."""
    stacks = rt.stacks()
    info = stacks.describe(env.stack_name)
    if StackParameter.IMAGE_TAG not in info.parameters:
        raise NotFound(f"stack {env.stack_name} has no ImageTag parameter (see docs/stack-contract.md)")
    if info.busy:
        raise Refused(f"stack {env.stack_name} is {info.status}: wait for the running update to finish")
    cluster, service = info.output(StackOutput.CLUSTER_NAME), info.output(StackOutput.SERVICE_NAME)
    if check_image:
        repo = info.output(StackOutput.ECR_REPOSITORY_NAME)
        if Registry(rt.aws.client("ecr")).image(repo, tag) is None:
            raise NotFound(f"image {repo}:{tag} is not in ECR: push it first (macro-deploy image push)")
    ecs = Ecs(rt.aws.client("ecs"))
    before = ecs.service(cluster, service)
    prev_td = before["taskDefinition"]
    known = frozenset(d["id"] for d in before.get("deployments", []))
    old = info.parameters[StackParameter.IMAGE_TAG]
    say(
        f"{verb} {env.name}: ImageTag {old} -> {tag} on {env.stack_name} "
        f"(update-stack --use-previous-template); service now on {td_short(prev_td)}"
    )
    changed = stacks.update_parameters(env.stack_name, {StackParameter.IMAGE_TAG: tag})
    if not changed:
        say(f"ImageTag is already {tag}: verifying that the service is steady and healthy")
    if not wait:
        say(f"{verb} started; follow it with `macro-deploy wait {env.name}` (exit codes as for {verb})")
        return
    watcher = _watcher(rt, ecs, stacks, info, env.stack_name, interval, timeout)
    _report(verb.upper(), _watch(rt, watcher, prev_td, changed, known))


def _watcher(
    rt: Runtime, ecs: Ecs, stacks: Stacks, info: StackInfo, stack_name: str, interval: float, timeout: float
) -> DeploymentWatcher:
    return DeploymentWatcher(
        ecs,
        stacks,
        LoadBalancing(rt.aws.client("elbv2")),
        cluster=info.output(StackOutput.CLUSTER_NAME),
        service=info.output(StackOutput.SERVICE_NAME),
        stack_name=stack_name,
        target_group_arn=info.outputs.get(StackOutput.ECS_TARGET_GROUP_ARN),
        clock=rt.clock,
        interval=interval,
        timeout=timeout,
    )


def _report(title: str, result: WatchResult) -> None:
    """The verdict line; a non-zero exit code that says what happened."""
    style = "green" if result.exit_code == 0 else "red"
    console.print(f"[bold {style}]{title} {result.verdict.value.upper()}[/]: ", end="")
    say(result.message)
    if result.exit_code != 0:
        raise typer.Exit(int(result.exit_code))


def deploy(
    ctx: typer.Context,
    env: EnvArg,
    image_tag_: ImageTagOpt,
    timeout: TimeoutOpt = "30m",
    interval: IntervalOpt = "10s",
    skip_image_check: Annotated[bool, typer.Option(help="Do not check that the tag exists in ECR.")] = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            help="Show the parameter and task definition diff and the phase budget; change nothing."
        ),
    ] = False,
    start_estimate: Annotated[
        str, typer.Option(help="Task start + image pull, for the phase budget.")
    ] = "30s",
    no_wait: Annotated[
        bool, typer.Option(help="Start the rollout and return; follow it with `wait`.")
    ] = False,
    yes: YesOpt = False,
) -> None:
    """Roll IMAGE_TAG out (stack parameter ImageTag, no drift) and watch until the truth is known.

    Exit 0 only when the new revision is steady and healthy; 10 rolled back by the circuit breaker;
    15 rolled back by a deployment alarm; 11 failed; 12 timed out.
    """
    rt = runtime(ctx)
    e = environment(env)
    if dry_run:
        for line in deploy_preview(rt, e, image_tag_, duration(start_estimate, "start-estimate")):
            say(line)
        return
    confirm_change(rt, e, f"deploy {image_tag_}", yes)
    roll(
        rt,
        e,
        image_tag_,
        duration(timeout, "timeout"),
        duration(interval, "interval"),
        not skip_image_check,
        "deploy",
        wait=not no_wait,
    )


def rollback(
    ctx: typer.Context,
    env: EnvArg,
    to_tag: Annotated[
        str | None, typer.Option(help="Image tag to return to (default: previous one).")
    ] = None,
    timeout: TimeoutOpt = "30m",
    interval: IntervalOpt = "10s",
    yes: YesOpt = False,
) -> None:
    """Return ENV to its previous image (the newest earlier task definition revision with another image)."""
    rt = runtime(ctx)
    e = environment(env)
    confirm_change(rt, e, "roll back", yes)
    if to_tag is None:
        info = rt.stacks().describe(e.stack_name)
        ecs = Ecs(rt.aws.client("ecs"))
        current = ecs.service(info.output(StackOutput.CLUSTER_NAME), info.output(StackOutput.SERVICE_NAME))[
            "taskDefinition"
        ]
        to_tag, arn = ecs.previous_image_tag(current, info.outputs.get(StackOutput.ECR_REPOSITORY_NAME, ""))
        say(f"previous image: {to_tag} (from {td_short(arn)}; now on {td_short(current)})")
    roll(rt, e, to_tag, duration(timeout, "timeout"), duration(interval, "interval"), True, "rollback")


def db_migrate(
    ctx: typer.Context,
    env: EnvArg,
    image_tag_: ImageTagOpt,
    timeout: Annotated[str, typer.Option(help="Give up watching the task after this long.")] = "15m",
    interval: IntervalOpt = "5s",
) -> None:
    """Run `macro-ai db upgrade` of IMAGE_TAG as a one-off Fargate task, before `deploy`.

    The task uses a one-off copy of the service's task definition with the api image switched (the service
    is not changed; deregistered afterwards). Exit 0 only when the api container exited 0; 13 failed
    (exit code or stopped reason printed); 14 timed out (the task is left running).
    """
    rt = runtime(ctx)
    e = environment(env)
    limit, every = duration(timeout, "timeout"), duration(interval, "interval")
    info = rt.stacks().describe(e.stack_name)
    if info.busy:
        raise Refused(f"stack {e.stack_name} is {info.status}: wait for the running update to finish")
    cluster, service, repo = (
        info.output(StackOutput.CLUSTER_NAME),
        info.output(StackOutput.SERVICE_NAME),
        info.output(StackOutput.ECR_REPOSITORY_NAME),
    )
    registry = Registry(rt.aws.client("ecr"))
    uri = registry.repository(repo)["repositoryUri"]
    if registry.image(repo, image_tag_) is None:
        raise NotFound(f"image {repo}:{image_tag_} is not in ECR: push it first (macro-deploy image push)")
    say(
        f"db-migrate {e.name}: `macro-ai db upgrade` with {repo}:{image_tag_} in cluster {cluster} "
        f"(network and roles of service {service})"
    )
    migration = DbMigration(
        Ecs(rt.aws.client("ecs")),
        rt.clock,
        cluster=cluster,
        service=service,
        interval=every,
        timeout=limit,
        say=say,
    )
    with sigterm_as_interrupt():
        message = migration.run(f"{uri}:{image_tag_}")
    console.print("[bold green]DB-MIGRATE SUCCEEDED[/]: ", end="")
    say(message)


def wait(
    ctx: typer.Context,
    env: EnvArg,
    timeout: TimeoutOpt = "30m",
    interval: IntervalOpt = "10s",
) -> None:
    """Follow the rollout in progress (after `deploy --no-wait`) to its verdict; the exit codes of `deploy`.

    The truth check at the end: the service must run the image the stack asks for (ImageTag); a service
    steady on another image was rolled back.
    """
    rt = runtime(ctx)
    e = environment(env)
    stacks = rt.stacks()
    info = stacks.describe(e.stack_name)
    cluster, service = info.output(StackOutput.CLUSTER_NAME), info.output(StackOutput.SERVICE_NAME)
    ecs = Ecs(rt.aws.client("ecs"))
    svc = ecs.service(cluster, service)
    deps = sorted(svc.get("deployments", []), key=lambda d: str(d.get("createdAt", "")))
    if len(deps) > 1:  # a rollout in progress: the oldest deployment is what it replaces
        prev_td, known, expect = deps[0]["taskDefinition"], frozenset(d["id"] for d in deps[:-1]), True
    else:
        prev_td, known, expect = svc["taskDefinition"], frozenset(), False
    watcher = _watcher(
        rt, ecs, stacks, info, e.stack_name, duration(interval, "interval"), duration(timeout, "timeout")
    )
    result = _watch(rt, watcher, prev_td, expect, known)
    if result.verdict is Verdict.SUCCEEDED:
        wanted = stacks.describe(e.stack_name).parameters.get(StackParameter.IMAGE_TAG, "")
        running = image_tag(ecs.image_of(ecs.service(cluster, service)["taskDefinition"], ""))
        if wanted and running != wanted:
            result = WatchResult(
                Verdict.ROLLED_BACK,
                f"the service is steady on {running}, but the stack asks for {wanted}: it was rolled back",
                result.snapshot,
            )
    _report("WAIT", result)
