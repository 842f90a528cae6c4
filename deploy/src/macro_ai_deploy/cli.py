"""macro-deploy: ship, roll back, migrate traffic, manage previews and configuration for Macro AI.

Exit codes: see macro_ai_deploy.exitcodes and docs/deploy.md.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)
from macro_ai_contract import load_contract
from rich.console import Console
from rich.live import Live
from rich.table import Table
from typer.core import TyperGroup

from macro_ai_deploy import configsync, images, previews
from macro_ai_deploy.aws.cfn import Stacks, StackWeightStore
from macro_ai_deploy.aws.cloudwatch import Alarms, parse_alarm_names
from macro_ai_deploy.aws.ecr import Registry
from macro_ai_deploy.aws.ecs import Ecs, td_short
from macro_ai_deploy.aws.elbv2 import ListenerRouter, LoadBalancing, tg_short
from macro_ai_deploy.aws.gates import AwsGates
from macro_ai_deploy.aws.params import ParameterStore, SecretStore
from macro_ai_deploy.aws.scaling import EcsCapacity
from macro_ai_deploy.aws.session import Aws
from macro_ai_deploy.commands.rehearse import rehearse_command
from macro_ai_deploy.dbmigrate import DbMigration
from macro_ai_deploy.durations import format_duration, parse_duration
from macro_ai_deploy.envs import Environment, preview, resolve
from macro_ai_deploy.errors import DeployError, NotFound, Refused, UsageError
from macro_ai_deploy.exitcodes import ExitCode
from macro_ai_deploy.rollout import DEFAULT_STEPS, Mode, Phase, Plan, Result, Rollout, abort
from macro_ai_deploy.rollout.local import SystemClock
from macro_ai_deploy.rollout.ports import Clock
from macro_ai_deploy.views import changes_table, deployments_table, event_line, snapshot_view
from macro_ai_deploy.watch import DeploymentWatcher, Snapshot, WatchResult

AUTH_CODES = {
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "SignatureDoesNotMatch",
    "AuthFailure",
    "InvalidSignatureException",
}
NOT_FOUND_CODES = {
    "ResourceNotFoundException",
    "RepositoryNotFoundException",
    "ClusterNotFoundException",
    "ServiceNotFoundException",
    "ListenerNotFound",
    "TargetGroupNotFound",
    "ParameterNotFound",
}


def fail(message: str, code: ExitCode) -> NoReturn:
    typer.echo(f"macro-deploy: error: {' '.join(message.split())}", err=True)
    raise typer.Exit(int(code))


def _client_error(exc: ClientError) -> tuple[str, ExitCode]:
    err = exc.response.get("Error", {})
    code, msg = err.get("Code", "?"), err.get("Message", str(exc))
    op = getattr(exc, "operation_name", "")
    if code in AUTH_CODES:
        return f"AWS refused the credentials or permission for {op}: {code}: {msg}", ExitCode.AWS_AUTH
    if code in NOT_FOUND_CODES or (code == "ValidationError" and "does not exist" in msg):
        return f"{op}: {msg}", ExitCode.NOT_FOUND
    return f"AWS error in {op}: {code}: {msg}", ExitCode.AWS_ERROR


class SafeGroup(TyperGroup):
    """Turns every failure into one line on stderr and a documented exit code; never a traceback."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except DeployError as exc:
            fail(exc.message, exc.code)
        except NoCredentialsError:
            fail(
                "no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                "or log in (aws sso login)",
                ExitCode.AWS_AUTH,
            )
        except NoRegionError:
            fail("no AWS region: pass --region or set AWS_REGION (or AWS_DEFAULT_REGION)", ExitCode.AWS_AUTH)
        except (PartialCredentialsError, ProfileNotFound) as exc:
            fail(f"AWS credentials are incomplete: {exc}", ExitCode.AWS_AUTH)
        except ClientError as exc:
            fail(*_client_error(exc))
        except (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError) as exc:
            fail(f"cannot reach AWS: {exc}", ExitCode.AWS_ERROR)
        except BotoCoreError as exc:
            fail(f"AWS SDK error: {exc}", ExitCode.AWS_ERROR)
        except KeyboardInterrupt:
            fail("interrupted", ExitCode.INTERRUPTED)
        except Exception as exc:
            if os.environ.get("MACRO_DEPLOY_DEBUG"):
                traceback.print_exc()
            fail(
                f"internal error: {type(exc).__name__}: {exc} (MACRO_DEPLOY_DEBUG=1 shows the traceback)",
                ExitCode.INTERNAL,
            )


@dataclass
class Runtime:
    """Everything a command needs from the outside world; tests pass their own through CliRunner(obj=...)."""

    region: str | None = None
    profile: str | None = None
    clock: Clock = field(default_factory=SystemClock)
    runner: images.Runner = images.run_command
    which: Callable[[str], str | None] = shutil.which
    utcnow: Callable[[], datetime] = field(default_factory=lambda: lambda: datetime.now(UTC))
    cfn_poll_seconds: float = 10.0
    _aws: Aws | None = None

    @property
    def aws(self) -> Aws:
        if self._aws is None:
            self._aws = Aws(self.region, self.profile)
        return self._aws

    def stacks(self) -> Stacks:
        return Stacks(self.aws.client("cloudformation"))


console = Console(highlight=False, soft_wrap=True)

app = typer.Typer(
    cls=SafeGroup,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
    help="Operator CLI for Macro AI: images, deploys, rollbacks, traffic migration, previews, "
    "configuration. Exit codes: docs/deploy.md.",
)
image_app = typer.Typer(no_args_is_help=True, help="Build and push the API image (tag = git commit).")
migrate_app = typer.Typer(no_args_is_help=True, help="Move traffic from the legacy EC2 fleet to ECS, gated.")
preview_app = typer.Typer(no_args_is_help=True, help="Per-PR preview environments.")
config_app = typer.Typer(
    no_args_is_help=True, help="Push configuration to Parameter Store / Secrets Manager."
)
app.add_typer(image_app, name="image")
app.add_typer(migrate_app, name="migrate")
app.add_typer(preview_app, name="preview")
app.add_typer(config_app, name="config")
app.command("rehearse")(rehearse_command)


@app.callback()
def main(
    ctx: typer.Context,
    region: Annotated[str | None, typer.Option(help="AWS region (default: AWS_REGION / profile).")] = None,
    profile: Annotated[str | None, typer.Option(help="AWS profile (default: AWS_PROFILE).")] = None,
) -> None:
    rt = ctx.obj if isinstance(ctx.obj, Runtime) else Runtime()
    rt.region = region or rt.region
    rt.profile = profile or rt.profile
    ctx.obj = rt


def _rt(ctx: typer.Context) -> Runtime:
    obj = ctx.find_root().obj
    assert isinstance(obj, Runtime)
    return obj


EnvArg = Annotated[str, typer.Argument(help="hobby | staging | production | pr-<n>", show_default=False)]


def _env(name: str) -> Environment:
    return resolve(name)


def _duration(text: str, what: str) -> float:
    try:
        return parse_duration(text)
    except UsageError as exc:
        raise UsageError(f"--{what}: {exc.message}") from None


# ---------------------------------------------------------------------------------------------- deploy
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
            console.print(f"[{rt.clock.now() - t0:5.0f}s] {stage}", markup=False)
            last["stage"] = stage

    watcher.on_poll = line
    return watcher.watch(prev_td, expect_change, known)


def _roll(
    rt: Runtime, env: Environment, tag: str, timeout: float, interval: float, check_image: bool, verb: str
) -> None:
    stacks = rt.stacks()
    info = stacks.describe(env.stack_name)
    if "ImageTag" not in info.parameters:
        raise NotFound(f"stack {env.stack_name} has no ImageTag parameter (see docs/stack-contract.md)")
    if info.busy:
        raise Refused(f"stack {env.stack_name} is {info.status}: wait for the running update to finish")
    cluster, service = info.output("ClusterName"), info.output("ServiceName")
    if check_image:
        repo = info.output("EcrRepositoryName")
        if Registry(rt.aws.client("ecr")).image(repo, tag) is None:
            raise NotFound(f"image {repo}:{tag} is not in ECR: push it first (macro-deploy image push)")
    ecs = Ecs(rt.aws.client("ecs"))
    before = ecs.service(cluster, service)
    prev_td = before["taskDefinition"]
    known = frozenset(d["id"] for d in before.get("deployments", []))
    old = info.parameters["ImageTag"]
    console.print(
        f"{verb} {env.name}: ImageTag {old} -> {tag} on {env.stack_name} "
        f"(update-stack --use-previous-template); service now on {td_short(prev_td)}",
        markup=False,
    )
    changed = stacks.update_parameters(env.stack_name, {"ImageTag": tag})
    if not changed:
        console.print(
            f"ImageTag is already {tag}: verifying that the service is steady and healthy", markup=False
        )
    watcher = DeploymentWatcher(
        ecs,
        stacks,
        LoadBalancing(rt.aws.client("elbv2")),
        cluster=cluster,
        service=service,
        stack_name=env.stack_name,
        target_group_arn=info.outputs.get("EcsTargetGroupArn"),
        clock=rt.clock,
        interval=interval,
        timeout=timeout,
    )
    result = _watch(rt, watcher, prev_td, changed, known)
    style = "green" if result.exit_code == 0 else "red"
    console.print(f"[bold {style}]{verb.upper()} {result.verdict.value.upper()}[/]: ", end="")
    console.print(result.message, markup=False)
    if result.exit_code != 0:
        raise typer.Exit(int(result.exit_code))


@app.command()
def deploy(
    ctx: typer.Context,
    env: EnvArg,
    image_tag_: Annotated[str, typer.Option("--image-tag", help="Image tag in ECR (the git commit).")],
    timeout: Annotated[str, typer.Option(help="Give up watching after this long.")] = "30m",
    interval: Annotated[str, typer.Option(help="Poll interval.")] = "10s",
    skip_image_check: Annotated[bool, typer.Option(help="Do not check that the tag exists in ECR.")] = False,
) -> None:
    """Roll IMAGE_TAG out (stack parameter ImageTag, no drift) and watch until the truth is known.

    Exit 0 only when the new revision is steady and healthy; 10 rolled back by the circuit breaker;
    11 failed; 12 timed out.
    """
    rt = _rt(ctx)
    e = _env(env)
    _roll(
        rt,
        e,
        image_tag_,
        _duration(timeout, "timeout"),
        _duration(interval, "interval"),
        not skip_image_check,
        "deploy",
    )


@app.command()
def rollback(
    ctx: typer.Context,
    env: EnvArg,
    to_tag: Annotated[
        str | None, typer.Option(help="Image tag to return to (default: previous one).")
    ] = None,
    timeout: Annotated[str, typer.Option(help="Give up watching after this long.")] = "30m",
    interval: Annotated[str, typer.Option(help="Poll interval.")] = "10s",
) -> None:
    """Return ENV to its previous image (the newest earlier task definition revision with another image)."""
    rt = _rt(ctx)
    e = _env(env)
    if to_tag is None:
        info = rt.stacks().describe(e.stack_name)
        ecs = Ecs(rt.aws.client("ecs"))
        current = ecs.service(info.output("ClusterName"), info.output("ServiceName"))["taskDefinition"]
        to_tag, arn = ecs.previous_image_tag(current, info.outputs.get("EcrRepositoryName", ""))
        console.print(
            f"previous image: {to_tag} (from {td_short(arn)}; now on {td_short(current)})", markup=False
        )
    _roll(rt, e, to_tag, _duration(timeout, "timeout"), _duration(interval, "interval"), True, "rollback")


@app.command("db-migrate")
def db_migrate(
    ctx: typer.Context,
    env: EnvArg,
    image_tag_: Annotated[str, typer.Option("--image-tag", help="Image tag in ECR (the git commit).")],
    timeout: Annotated[str, typer.Option(help="Give up watching the task after this long.")] = "15m",
    interval: Annotated[str, typer.Option(help="Poll interval.")] = "5s",
) -> None:
    """Run `macro-ai db upgrade` of IMAGE_TAG as a one-off Fargate task, before `deploy`.

    The task uses a one-off copy of the service's task definition with the api image switched (the service
    is not changed; deregistered afterwards). Exit 0 only when the api container exited 0; 13 failed
    (exit code or stopped reason printed); 14 timed out (the task is left running).
    """
    rt = _rt(ctx)
    e = _env(env)
    limit, every = _duration(timeout, "timeout"), _duration(interval, "interval")
    info = rt.stacks().describe(e.stack_name)
    if info.busy:
        raise Refused(f"stack {e.stack_name} is {info.status}: wait for the running update to finish")
    cluster, service, repo = (
        info.output("ClusterName"),
        info.output("ServiceName"),
        info.output("EcrRepositoryName"),
    )
    registry = Registry(rt.aws.client("ecr"))
    uri = registry.repository(repo)["repositoryUri"]
    if registry.image(repo, image_tag_) is None:
        raise NotFound(f"image {repo}:{image_tag_} is not in ECR: push it first (macro-deploy image push)")
    console.print(
        f"db-migrate {e.name}: `macro-ai db upgrade` with {repo}:{image_tag_} in cluster {cluster} "
        f"(network and roles of service {service})",
        markup=False,
    )
    migration = DbMigration(
        Ecs(rt.aws.client("ecs")),
        rt.clock,
        cluster=cluster,
        service=service,
        interval=every,
        timeout=limit,
        say=lambda s: console.print(s, markup=False),
    )
    with _sigterm_holds():
        message = migration.run(f"{uri}:{image_tag_}")
    console.print("[bold green]DB-MIGRATE SUCCEEDED[/]: ", end="")
    console.print(message, markup=False)


# ---------------------------------------------------------------------------------------------- status
@app.command()
def status(ctx: typer.Context, env: EnvArg) -> None:
    """One view of ENV: image, deployments, task counts, target health, listener weights, alarms."""
    rt = _rt(ctx)
    e = _env(env)
    info = rt.stacks().describe(e.stack_name)
    console.print(f"[bold]{e.name}[/] stack {info.name}: {info.status}")
    params = ", ".join(
        f"{k}={v}"
        for k, v in sorted(info.parameters.items())
        if k in ("ImageTag", "LegacyWeight", "EcsWeight")
    )
    console.print(f"parameters: {params or '-'}", markup=False)
    if "ServiceUrl" in info.outputs:
        console.print(f"url: {info.outputs['ServiceUrl']}", markup=False)
    ecs = Ecs(rt.aws.client("ecs"))
    svc = ecs.service(info.output("ClusterName"), info.output("ServiceName"))
    image = ecs.image_of(svc["taskDefinition"], info.outputs.get("EcrRepositoryName", ""))
    console.print(
        f"service {svc['serviceName']}: {td_short(svc['taskDefinition'])}, image {image}", markup=False
    )
    console.print(
        f"tasks: desired {svc.get('desiredCount', 0)}, running {svc.get('runningCount', 0)}, "
        f"pending {svc.get('pendingCount', 0)}"
    )
    console.print(deployments_table(svc.get("deployments", [])))
    lb = LoadBalancing(rt.aws.client("elbv2"))
    th = Table(title="target health", title_justify="left")
    th.add_column("target group")
    th.add_column("states")
    for key in ("EcsTargetGroupArn", "LegacyTargetGroupArn"):
        if key in info.outputs:
            h = lb.target_health(info.outputs[key])
            th.add_row(
                f"{key.removesuffix('TargetGroupArn').lower()} ({tg_short(h.target_group_arn)})", h.summary()
            )
    console.print(th)
    if "ListenerArn" in info.outputs:
        raw = lb.forward_weights(info.outputs["ListenerArn"])
        console.print(
            "listener weights: " + ", ".join(f"{tg_short(k)}={v}" for k, v in raw.items()), markup=False
        )
    names = parse_alarm_names(info.outputs.get("RolloutAlarmNames", ""))
    if names:
        at = Table(title="alarms", title_justify="left")
        at.add_column("alarm")
        at.add_column("state")
        for a in Alarms(rt.aws.client("cloudwatch")).states(names):
            color = {"OK": "green", "ALARM": "red"}.get(a.state, "yellow")
            at.add_row(a.name, f"[{color}]{a.state}[/]")
        console.print(at)


# ---------------------------------------------------------------------------------------------- images
RootOpt = Annotated[Path, typer.Option(help="Repository root = build context.")]


@image_app.command("build")
def image_build(
    ctx: typer.Context,
    root: RootOpt = Path("."),
    dockerfile: Annotated[str, typer.Option(help="Dockerfile, relative to the root.")] = "api/Dockerfile",
    platform: Annotated[str, typer.Option(help="Target platform ('' for the host's).")] = "linux/arm64",
    force: Annotated[
        bool, typer.Option(help="Build from a dirty work tree (tagged <commit>-dirty-<hash>).")
    ] = False,
    dry_run: Annotated[bool, typer.Option(help="Only print the command.")] = False,
) -> None:
    """Build the API image with docker or podman (whichever is present), tagged with the git commit."""
    rt = _rt(ctx)
    root = root.resolve()
    source = images.inspect_source(rt.runner, root)
    tag = images.choose_tag(source, force)
    engine = images.detect_engine(rt.which)
    argv = images.build_command(engine, tag, root, dockerfile, platform or None, source.commit)
    console.print(f"$ {images.shown(argv)}", markup=False)
    if dry_run:
        return
    proc = rt.runner(argv)
    if proc.returncode != 0:
        raise DeployError(f"image build failed (exit {proc.returncode})", ExitCode.INTERNAL)
    console.print(f"built {images.LOCAL_NAME}:{tag}", markup=False)


@image_app.command("push")
def image_push(
    ctx: typer.Context,
    env: Annotated[str, typer.Option(help="Environment whose stack names the ECR repository.")] = "hobby",
    repository: Annotated[str | None, typer.Option(help="ECR repository (default: the stack's).")] = None,
    root: RootOpt = Path("."),
    force: Annotated[bool, typer.Option(help="Push the '-dirty' image of a dirty work tree.")] = False,
) -> None:
    """Push macro-ai-api:<commit> to ECR (login through boto3). Refuses a dirty work tree unless --force."""
    rt = _rt(ctx)
    source = images.inspect_source(rt.runner, root.resolve())
    tag = images.choose_tag(source, force)
    engine = images.detect_engine(rt.which)
    repo = repository or rt.stacks().describe(_env(env).stack_name).output("EcrRepositoryName")
    out = images.push(
        Registry(rt.aws.client("ecr")),
        rt.runner,
        engine,
        repo,
        tag,
        say=lambda s: console.print(s, markup=False),
    )
    if out.already_present:
        console.print(
            f"{repo}:{tag} is already in ECR ({out.image.digest}); tags are immutable: nothing to push",
            markup=False,
        )
    else:
        console.print(f"pushed {out.uri}:{tag} ({out.image.digest})", markup=False)


# ---------------------------------------------------------------------------------------------- migrate
@dataclass
class MigrationTarget:
    env: Environment
    router: ListenerRouter
    gates: AwsGates
    capacity: EcsCapacity
    store: StackWeightStore | None
    alarm_names: list[str]


def _target(rt: Runtime, env: Environment, min_healthy: int) -> MigrationTarget:
    stacks = rt.stacks()
    info = stacks.describe(env.stack_name)
    if "LegacyTargetGroupArn" not in info.outputs:
        raise Refused(
            f"stack {env.stack_name} exports no LegacyTargetGroupArn: no legacy fleet, nothing to migrate"
        )
    lb = LoadBalancing(rt.aws.client("elbv2"))
    legacy, ecs_tg = info.output("LegacyTargetGroupArn"), info.output("EcsTargetGroupArn")
    router = ListenerRouter(lb, info.output("ListenerArn"), legacy, ecs_tg)
    names = parse_alarm_names(info.outputs.get("RolloutAlarmNames", ""))
    gates = AwsGates(Alarms(rt.aws.client("cloudwatch")), names, lb, legacy, ecs_tg, min_healthy)
    capacity = EcsCapacity(
        rt.aws.client("application-autoscaling"),
        rt.aws.client("ecs"),
        info.output("ClusterName"),
        info.output("ServiceName"),
    )
    store = None
    if "LegacyWeight" in info.parameters and "EcsWeight" in info.parameters:
        store = StackWeightStore(stacks, env.stack_name, rt.clock, interval=rt.cfn_poll_seconds)
    return MigrationTarget(env, router, gates, capacity, store, names)


def _steps(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise UsageError(f"--steps: expected comma-separated integers, got {text!r}") from None


def _plan(
    steps: str, bake: str, interval: str, min_healthy: int | None, capacity_timeout: str, env: Environment
) -> Plan:
    mh = min_healthy if min_healthy is not None else (1 if env.name == "hobby" or env.is_preview else 2)
    try:
        return Plan(
            steps=_steps(steps),
            bake_seconds=_duration(bake, "bake"),
            check_interval_seconds=_duration(interval, "interval"),
            min_healthy_tasks=mh,
            capacity_timeout_seconds=_duration(capacity_timeout, "capacity-timeout"),
        )
    except ValueError as exc:
        raise UsageError(f"invalid plan: {exc}") from None


StepsOpt = Annotated[str, typer.Option(help="ECS percentages, increasing, ending at 100.")]
BakeOpt = Annotated[str, typer.Option(help="Bake time per step.")]
IntervalOpt = Annotated[str, typer.Option(help="Gate check interval during a bake.")]
MinHealthyOpt = Annotated[
    int | None, typer.Option(help="Healthy ECS tasks required (default 1 hobby/pr, 2 else).")
]
CapTimeoutOpt = Annotated[str, typer.Option(help="How long to wait for ECS capacity before the first move.")]
DEFAULT_STEPS_TEXT = ",".join(map(str, DEFAULT_STEPS))


def _report(result: Result, verb: str) -> None:
    color = {Phase.COMPLETED: "green", Phase.ROLLED_BACK: "red"}.get(result.phase, "yellow")
    if result.held:
        console.print(f"[bold yellow]{verb.upper()} HELD[/]: ", end="")
        console.print(result.reason, markup=False)
        raise typer.Exit(int(ExitCode.MIGRATION_HELD))
    console.print(f"[bold {color}]{verb.upper()} {result.phase.value.upper().replace('_', ' ')}[/]: ", end="")
    console.print(f"{result.reason}; live weights: {result.final}", markup=False)
    if result.writeback:
        console.print(result.writeback, markup=False)
    code = {
        Phase.COMPLETED: ExitCode.OK,
        Phase.ROLLED_BACK: ExitCode.MIGRATION_ROLLED_BACK,
        Phase.STOPPED_EXTERNALLY: ExitCode.MIGRATION_STOPPED_EXTERNALLY,
        Phase.ROLLBACK_FAILED: ExitCode.MIGRATION_ROLLBACK_FAILED,
    }[result.phase]
    if code == ExitCode.OK and result.writeback_failed:
        code = ExitCode.MIGRATION_DRIFT
    if code != ExitCode.OK:
        raise typer.Exit(int(code))


@contextlib.contextmanager
def _sigterm_holds() -> Iterator[None]:
    """A cancelled CI job (SIGTERM) holds traffic like Ctrl-C does and says so, instead of dying silently."""

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run_rollout(ctx: typer.Context, env: str, plan: Plan | None, mode: Mode, **plan_args: Any) -> None:
    rt = _rt(ctx)
    e = _env(env)
    plan = plan or _plan(env=e, **plan_args)
    t = _target(rt, e, plan.min_healthy_tasks)
    console.print(
        f"{e.name}: steps {' -> '.join(map(str, plan.steps))} % ECS, bake "
        f"{format_duration(plan.bake_seconds)}, gates every {format_duration(plan.check_interval_seconds)}"
        f", >= {plan.min_healthy_tasks} healthy ECS task(s), alarms: {', '.join(t.alarm_names) or 'none'}",
        markup=False,
    )
    rollout = Rollout(
        plan,
        t.router,
        t.gates,
        rt.clock,
        capacity=t.capacity,
        store=t.store,
        mode=mode,
        on_event=lambda ev: console.print(event_line(ev)),
    )
    with _sigterm_holds():
        result = rollout.run()
    _report(result, "migration")


@migrate_app.command("plan")
def migrate_plan(
    ctx: typer.Context,
    env: EnvArg,
    steps: StepsOpt = DEFAULT_STEPS_TEXT,
    bake: BakeOpt = "10m",
    interval: IntervalOpt = "30s",
    min_healthy_tasks: MinHealthyOpt = None,
    capacity_timeout: CapTimeoutOpt = "10m",
) -> None:
    """Show the plan and where the live listener is in it (changes nothing)."""
    rt = _rt(ctx)
    e = _env(env)
    plan = _plan(steps, bake, interval, min_healthy_tasks, capacity_timeout, e)
    t = _target(rt, e, plan.min_healthy_tasks)
    live = t.router.get_weights()
    table = Table(title=f"migration plan for {e.name} (live: {live})", title_justify="left")
    for col in ("step", "ECS %", "legacy %", "bake", "state"):
        table.add_column(col)
    nxt = plan.next_step(live.ecs)
    for i, s in enumerate(plan.steps):
        state = (
            "done"
            if s < live.ecs or (s == live.ecs and s == 0)
            else "live (re-baked on start)"
            if s == live.ecs
            else "next"
            if s == nxt
            else "pending"
        )
        table.add_row(str(i), str(s), str(100 - s), format_duration(plan.bake_seconds) if s else "-", state)
    console.print(table)
    console.print(
        f"gates before each move and every {format_duration(plan.check_interval_seconds)} while baking:"
        f" alarms ({', '.join(t.alarm_names) or 'NONE: start will refuse'}), target health of both "
        f"target groups, >= {plan.min_healthy_tasks} healthy ECS task(s). Any failure: 100 % legacy.",
        markup=False,
    )


@migrate_app.command("start")
def migrate_start(
    ctx: typer.Context,
    env: EnvArg,
    steps: StepsOpt = DEFAULT_STEPS_TEXT,
    bake: BakeOpt = "10m",
    interval: IntervalOpt = "30s",
    min_healthy_tasks: MinHealthyOpt = None,
    capacity_timeout: CapTimeoutOpt = "10m",
) -> None:
    """Start or resume the stepped migration from the LIVE weights (never jumps ahead)."""
    _run_rollout(
        ctx,
        env,
        None,
        Mode.STEPPED,
        steps=steps,
        bake=bake,
        interval=interval,
        min_healthy=min_healthy_tasks,
        capacity_timeout=capacity_timeout,
    )


@migrate_app.command("promote")
def migrate_promote(
    ctx: typer.Context,
    env: EnvArg,
    bake: BakeOpt = "10m",
    interval: IntervalOpt = "30s",
    min_healthy_tasks: MinHealthyOpt = None,
    capacity_timeout: CapTimeoutOpt = "10m",
) -> None:
    """Go to 100 % ECS now: still gated before the move and during the final bake."""
    _run_rollout(
        ctx,
        env,
        None,
        Mode.PROMOTE,
        steps=DEFAULT_STEPS_TEXT,
        bake=bake,
        interval=interval,
        min_healthy=min_healthy_tasks,
        capacity_timeout=capacity_timeout,
    )


@migrate_app.command("abort")
def migrate_abort(ctx: typer.Context, env: EnvArg) -> None:
    """All traffic to the legacy target group NOW (no gate), then write the weights back to the stack."""
    rt = _rt(ctx)
    e = _env(env)
    t = _target(rt, e, 0)
    before = t.router.get_weights()
    console.print(f"{e.name}: abort from {before}", markup=False)
    result = abort(t.router, t.store, rt.clock)
    for ev in result.events:
        console.print(event_line(ev))
    if result.phase is Phase.ROLLBACK_FAILED:
        console.print(f"[bold red]ABORT FAILED[/]: {result.reason}")
        raise typer.Exit(int(ExitCode.MIGRATION_ROLLBACK_FAILED))
    console.print(f"[bold]aborted[/]: live weights {t.router.get_weights()}; {result.writeback}")
    if result.writeback_failed:
        raise typer.Exit(int(ExitCode.MIGRATION_DRIFT))


@migrate_app.command("status")
def migrate_status(
    ctx: typer.Context,
    env: EnvArg,
    steps: StepsOpt = DEFAULT_STEPS_TEXT,
    min_healthy_tasks: MinHealthyOpt = None,
) -> None:
    """Live weights, the stack's weight parameters (drift), the next step, and the gates right now."""
    rt = _rt(ctx)
    e = _env(env)
    plan = _plan(steps, "0s", "1s", min_healthy_tasks, "0s", e)
    t = _target(rt, e, plan.min_healthy_tasks)
    live = t.router.get_weights()
    stored = t.store.read() if t.store else None
    console.print(f"live listener: {live}", markup=False)
    if stored is None:
        console.print("stack parameters: no LegacyWeight/EcsWeight", markup=False)
    elif stored == live:
        console.print(f"stack parameters: {stored} (in sync)", markup=False)
    else:
        console.print(
            f"stack parameters: {stored} [yellow](differ from the listener: a migration is in "
            "progress or was interrupted; `migrate start` resumes, `migrate abort` reverts)[/]"
        )
    nxt = plan.next_step(live.ecs)
    console.print(
        f"next step: {nxt}% ECS" if nxt is not None else "at 100 % ECS: migration complete", markup=False
    )
    report = t.gates.check(live)
    for r in report.results:
        mark = "[green]ok[/]" if r.ok else "[red]FAIL[/]"
        console.print(f"  {mark} {r.name}: ", end="")
        console.print(r.detail, markup=False)


# ---------------------------------------------------------------------------------------------- previews
@preview_app.command("up")
def preview_up(
    ctx: typer.Context,
    pr: Annotated[int, typer.Argument(help="Pull request number.")],
    image_tag_: Annotated[str, typer.Option("--image-tag", help="Image tag in ECR.")],
    ttl: Annotated[str, typer.Option(help="-> macro-ai:expires-at tag (CDK context expires_at).")] = "24h",
    app_dir: Annotated[Path, typer.Option(help="Directory of the CDK app (cdk.json).")] = Path("infra"),
    cdk: Annotated[str, typer.Option(help="The CDK CLI command.")] = "npx cdk",
    context_key: Annotated[str, typer.Option(help="CDK context key that selects the preview.")] = "pr",
    dry_run: Annotated[bool, typer.Option(help="Only print the command.")] = False,
) -> None:
    """Create or update the preview stack MacroAiPreviewStack-pr-<n> through the CDK CLI."""
    rt = _rt(ctx)
    expires = rt.utcnow() + timedelta(seconds=_duration(ttl, "ttl"))
    argv = previews.cdk_deploy_command(pr, image_tag_, expires, tuple(cdk.split()), context_key)
    console.print(f"$ (cd {app_dir}) {images.shown(argv)}", markup=False)
    if dry_run:
        return
    proc = rt.runner(argv, cwd=str(app_dir))
    if proc.returncode != 0:
        raise DeployError(f"cdk deploy of pr-{pr} failed (exit {proc.returncode})", ExitCode.DEPLOY_FAILED)
    info = rt.stacks().describe(preview(pr).stack_name)
    console.print(f"pr-{pr}: {info.status} {info.outputs.get('ServiceUrl', '')}", markup=False)


@preview_app.command("down")
def preview_down(
    ctx: typer.Context,
    pr: Annotated[int, typer.Argument(help="Pull request number.")],
    wait: Annotated[bool, typer.Option(help="Wait until the stack is gone.")] = False,
    timeout: Annotated[str, typer.Option(help="How long to wait.")] = "30m",
) -> None:
    """Delete the preview stack of a pull request (through CloudFormation)."""
    rt = _rt(ctx)
    stacks = rt.stacks()
    name = preview(pr).stack_name
    info = stacks.describe(name)
    stacks.delete(name)
    console.print(f"deleting {name} (was {info.status})", markup=False)
    if not wait:
        return
    deadline = rt.clock.now() + _duration(timeout, "timeout")
    while True:
        try:
            now = stacks.describe(name)
        except NotFound:
            console.print(f"{name} deleted", markup=False)
            return
        if now.status == "DELETE_FAILED":
            raise DeployError(
                f"{name} DELETE_FAILED: {stacks.failure_reason(name) or now.status_reason}",
                ExitCode.DEPLOY_FAILED,
            )
        if rt.clock.now() >= deadline:
            raise DeployError(f"{name} still {now.status} after the timeout", ExitCode.DEPLOY_TIMEOUT)
        rt.clock.sleep(rt.cfn_poll_seconds)


@preview_app.command("list")
def preview_list(ctx: typer.Context) -> None:
    """All preview stacks with status, age and expiry."""
    rt = _rt(ctx)
    now = rt.utcnow()
    items = previews.previews(rt.stacks().all(previews.stack_prefix()))
    table = Table(title=f"previews ({len(items)})", title_justify="left")
    for col in ("preview", "status", "created", "expires at", ""):
        table.add_column(col)
    for p in sorted(items, key=lambda p: p.name):
        expired = p.expires_at is not None and p.expires_at <= now
        table.add_row(
            p.name,
            p.stack.status,
            previews.iso(p.stack.created) if p.stack.created else "-",
            previews.iso(p.expires_at) if p.expires_at else "-",
            "[red]expired[/]" if expired else "",
        )
    console.print(table)


@preview_app.command("reap")
def preview_reap(
    ctx: typer.Context,
    older_than: Annotated[
        str, typer.Option(help="Also delete previews created longer ago than this.")
    ] = "24h",
    dry_run: Annotated[bool, typer.Option(help="Only list what would be deleted.")] = False,
) -> None:
    """Delete previews past their macro-ai:expires-at tag or older than --older-than."""
    rt = _rt(ctx)
    stacks = rt.stacks()
    doomed = previews.reapable(
        previews.previews(stacks.all(previews.stack_prefix())),
        rt.utcnow(),
        timedelta(seconds=_duration(older_than, "older-than")),
    )
    if not doomed:
        console.print("nothing to reap", markup=False)
    for p, why in doomed:
        console.print(f"{'would delete' if dry_run else 'deleting'} {p.stack.name}: {why}", markup=False)
        if not dry_run:
            stacks.delete(p.stack.name)


# ---------------------------------------------------------------------------------------------- config
EnvFileOpt = Annotated[Path, typer.Option("--env-file", help="NAME=value lines.", exists=False)]
SecretsToOpt = Annotated[
    configsync.Target,
    typer.Option(
        help="Where secrets go: ssm (SecureString), secretsmanager (JSON secret macro-ai/<env>/app), or both."
    ),
]


def _config_plan(
    rt: Runtime,
    env: str,
    env_file: Path,
    secrets_to: configsync.Target,
    prune: bool,
    allow_unknown: bool,
    contract_path: str | None,
) -> tuple[Any, ...]:
    e = _env(env)
    c = load_contract(Path(contract_path) if contract_path else None)
    if not env_file.is_file():
        raise NotFound(f"env file {env_file} does not exist")
    desired = configsync.parse_env_file(env_file.read_text(), str(env_file))
    unknown = sorted(set(desired) - c.known)
    if unknown and not allow_unknown:
        raise Refused(f"not in the service contract: {', '.join(unknown)} (typo? or pass --allow-unknown)")
    # Where the environment's task reads its configuration: the environment table decides, for both sides.
    prefix, secret_name = e.parameter_prefix, e.secret_name
    ssm = ParameterStore(rt.aws.client("ssm"))
    sm = SecretStore(rt.aws.client("secretsmanager"))
    ssm_now = ssm.read_prefix(prefix)
    sm_now = sm.read_json(secret_name) if secrets_to is not configsync.Target.SSM else None
    changes = configsync.plan(desired, frozenset(c.secrets), ssm_now, sm_now, secrets_to, prune)
    return e, desired, prefix, secret_name, ssm, sm, sm_now, changes


ContractOpt = Annotated[str | None, typer.Option(help="Path of service-contract.json.")]


@config_app.command("diff")
def config_diff(
    ctx: typer.Context,
    env: EnvArg,
    env_file: EnvFileOpt,
    secrets_to: SecretsToOpt = configsync.Target.SSM,
    prune: Annotated[bool, typer.Option(help="Show store-only items as deletions.")] = False,
    allow_unknown: Annotated[bool, typer.Option(help="Accept names not in the contract.")] = False,
    contract_path: ContractOpt = None,
    exit_code: Annotated[bool, typer.Option(help="Exit 8 when there are changes.")] = False,
) -> None:
    """Show what `config push` would change. Secret values are never shown."""
    rt = _rt(ctx)
    e, _desired, prefix, secret_name, *_, changes = _config_plan(
        rt, env, env_file, secrets_to, prune, allow_unknown, contract_path
    )
    n = sum(c.is_change for c in changes)
    console.print(changes_table(changes))
    console.print(
        f"{n} change(s) for {e.name} ({prefix}*"
        + (f", secret {secret_name}" if secrets_to is not configsync.Target.SSM else "")
        + ")",
        markup=False,
    )
    if exit_code and n:
        raise typer.Exit(8)


@config_app.command("push")
def config_push(
    ctx: typer.Context,
    env: EnvArg,
    env_file: EnvFileOpt,
    secrets_to: SecretsToOpt = configsync.Target.SSM,
    prune: Annotated[bool, typer.Option(help="Delete store-only items.")] = False,
    allow_unknown: Annotated[bool, typer.Option(help="Accept names not in the contract.")] = False,
    contract_path: ContractOpt = None,
    kms_key_id: Annotated[str | None, typer.Option(help="KMS key for SecureString/secret.")] = None,
) -> None:
    """Write the env file to Parameter Store (SecureString for the contract's secrets) / Secrets Manager."""
    rt = _rt(ctx)
    e, desired, prefix, secret_name, ssm, sm, sm_now, changes = _config_plan(
        rt, env, env_file, secrets_to, prune, allow_unknown, contract_path
    )
    console.print(changes_table(changes))
    n = configsync.apply(changes, desired, prefix, secret_name, ssm, sm, sm_now, kms_key_id)
    console.print(f"{e.name}: {n} change(s) written", markup=False)


if __name__ == "__main__":  # pragma: no cover
    app()
