"""`macro-deploy rehearse [SCENARIO ...]`: the EC2 -> ECS cutover, rehearsed on this machine.

HAProxy stands in for the ALB, the same rollout state machine as `macro-deploy migrate` drives it, real
load runs through it, and a report with a chart is written to a folder named by the run. Exit 0 only when
every promise of every scenario is kept.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from macro_ai_deploy.durations import parse_duration
from macro_ai_deploy.errors import UsageError
from macro_ai_deploy.exitcodes import ExitCode

console = Console(highlight=False, soft_wrap=True)

Scenarios = Annotated[
    list[str] | None,
    typer.Argument(
        help="migrate | bad-release | rolling-deploy | db-restart | operator-killed (default: all, in order)",
        show_default=False,
    ),
]


def _seconds(text: str, what: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise UsageError(f"--{what}: {exc}") from None


def _container_ready(image: str) -> None:
    docker = shutil.which("docker")
    if docker is None:
        raise UsageError(
            "no `docker` on PATH for the ECS fleet: `make container-kit`, then "
            "`. ../shared/container-engine/env.sh`"
            " (or pass --ecs-fleet process)"
        )
    found = subprocess.run([docker, "image", "inspect", image], capture_output=True, check=False)  # noqa: S603
    if found.returncode != 0:
        raise UsageError(
            f"image {image} not found: `make image IMAGE={image}` first (or use `make rehearse`)"
        )


def rehearse_command(
    scenarios: Scenarios = None,
    rate: Annotated[float, typer.Option(help="Requests per second, open model.")] = 200.0,
    ecs_fleet: Annotated[str, typer.Option(help="container (the real image) | process")] = "container",
    image: Annotated[str, typer.Option(help="Image of the ECS fleet.")] = "macro-ai-api:rehearsal",
    profile: Annotated[
        str, typer.Option(help="Infra profile: deregistration delay, alarm limits.")
    ] = "hobby",
    steps: Annotated[str, typer.Option(help="ECS percentages of the migration.")] = "10,25,50,100",
    bake: Annotated[str, typer.Option(help="Bake per step.")] = "8s",
    interval: Annotated[str, typer.Option(help="Gate interval while baking.")] = "2s",
    stream_seconds: Annotated[float, typer.Option(help="How long each streamed reply lasts.")] = 4.0,
    fault_percent: Annotated[float, typer.Option(help="bad-release: share of 500s from ECS.")] = 30.0,
    deregistration_delay: Annotated[
        str | None, typer.Option(help="Override the profile's delay (to prove a short one is caught).")
    ] = None,
    out: Annotated[Path, typer.Option(help="Folder for the run folders.")] = Path("rehearsals"),
) -> None:
    """Rehearse the cutover locally under load (HAProxy, both fleets, PostgreSQL, Cognito emulator)."""
    from macro_ai_deploy.rehearsal.harness import Settings
    from macro_ai_deploy.rehearsal.run import DEFAULT_ORDER, profile_facts, rehearse, run_folder
    from macro_ai_deploy.rehearsal.stage import StageOptions

    chosen = tuple(scenarios or DEFAULT_ORDER)
    unknown = [s for s in chosen if s not in DEFAULT_ORDER]
    if unknown:
        raise UsageError(f"unknown scenario(s) {', '.join(unknown)}: choose from {', '.join(DEFAULT_ORDER)}")
    if ecs_fleet not in ("container", "process"):
        raise UsageError("--ecs-fleet must be container or process")
    if rate <= 0 or stream_seconds <= 0 or not 0 < fault_percent <= 100:
        raise UsageError("--rate and --stream-seconds must be positive, --fault-percent in (0, 100]")
    try:
        facts = profile_facts(profile)
        plan_steps = tuple(int(s) for s in steps.split(","))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if (
        not plan_steps
        or plan_steps[-1] != 100
        or list(plan_steps) != sorted(set(plan_steps))
        or plan_steps[0] <= 0
    ):
        raise UsageError("--steps must be increasing ECS percentages above 0, ending at 100")
    if ecs_fleet == "container":
        _container_ready(image)
    delay = (
        facts.deregistration_delay
        if deregistration_delay is None
        else _seconds(deregistration_delay, "deregistration-delay")
    )
    settings = Settings(
        rate=rate,
        steps=plan_steps,
        bake=_seconds(bake, "bake"),
        interval=_seconds(interval, "interval"),
        fault_percent=fault_percent,
    )
    if settings.interval <= 0:
        raise UsageError("--interval must be positive")
    options = StageOptions(
        folder=run_folder(out),
        ecs_mode=ecs_fleet,
        image=image,
        stream_seconds=stream_seconds,
        deregistration_delay=delay,
    )
    try:
        result = rehearse(
            chosen, settings, options, facts, say=lambda line: console.print(line, markup=False)
        )
    except RuntimeError as exc:  # the stage could not start: say what, with the run folder for the logs
        console.print(f"[bold red]REHEARSAL FAILED[/]: {exc} (logs: {options.folder})")
        raise typer.Exit(int(ExitCode.REHEARSAL_FAILED)) from None
    console.print(
        f"report: {result.report} (chart: {result.folder / 'timeline.png'}); {result.seconds:.0f} s",
        markup=False,
    )
    if not result.ok:
        console.print("[bold red]REHEARSAL FAILED[/]: a promise was broken (see the report)")
        raise typer.Exit(int(ExitCode.REHEARSAL_FAILED))
    console.print("[bold green]rehearsal passed[/]: every promise kept")
