"""`status`: one verdict line, then the environment at a glance (80 columns); --json, --check, --watch."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Group
from rich.live import Live

from macro_ai_deploy.exitcodes import ExitCode
from macro_ai_deploy.runtime import EnvArg, console, duration, environment, runtime
from macro_ai_deploy.status_report import gather
from macro_ai_deploy.views_status import render


def status(
    ctx: typer.Context,
    env: EnvArg,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document (for scripts).")] = False,
    check: Annotated[
        bool, typer.Option(help="Exit 27 when a gate fails, a deploy failed or a migration is stuck.")
    ] = False,
    watch: Annotated[bool, typer.Option(help="Refresh until Ctrl-C.")] = False,
    interval: Annotated[str, typer.Option(help="Refresh interval with --watch.")] = "10s",
) -> None:
    """ENV at a glance: verdict, service, traffic per fleet, deployments, gates, the migration run."""
    rt = runtime(ctx)
    e = environment(env)
    every = duration(interval, "interval")
    report = gather(rt, e)
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2, default=str))
    elif watch and console.is_terminal:
        try:
            with Live(Group(*render(report)), console=console, refresh_per_second=1) as live:
                while True:
                    rt.clock.sleep(every)
                    report = gather(rt, e)
                    live.update(Group(*render(report)))
        except KeyboardInterrupt:
            pass
    else:
        try:
            while True:
                for line in render(report):
                    console.print(line)
                if not watch:
                    break
                rt.clock.sleep(every)
                report = gather(rt, e)
                console.print()
        except KeyboardInterrupt:
            pass
    if check and not report.ok:
        raise typer.Exit(int(ExitCode.MIGRATION_GATE_FAILING))
