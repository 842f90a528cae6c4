"""What every command shares: the Runtime (the outside world), the console, and small argument helpers."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console

from macro_ai_deploy import images
from macro_ai_deploy.aws.cfn import Stacks
from macro_ai_deploy.aws.session import Aws
from macro_ai_deploy.durations import parse_duration
from macro_ai_deploy.envs import Environment, deployed_names, resolve
from macro_ai_deploy.errors import Refused, UsageError
from macro_ai_deploy.rollout.clock import SystemClock
from macro_ai_deploy.rollout.ports import Clock


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
    # who runs this (written into the migration lease); tests set it to tell two runs apart
    owner: str = ""
    # answers confirmation prompts (None: ask on the terminal)
    confirm: Callable[[str], bool] | None = None
    # gates read CloudWatch's alarm history (flaps between checks). Emulators without DescribeAlarmHistory
    # (the moto server) turn it off with MACRO_DEPLOY_ALARM_HISTORY=off; test_gates_stubbed.py covers it
    alarm_history: bool = field(default_factory=lambda: os.environ.get("MACRO_DEPLOY_ALARM_HISTORY") != "off")
    _aws: Aws | None = None

    @property
    def aws(self) -> Aws:
        if self._aws is None:
            self._aws = Aws(self.region, self.profile)
        return self._aws

    def stacks(self) -> Stacks:
        return Stacks(self.aws.client("cloudformation"))


console = Console(highlight=False, soft_wrap=True)


def say(text: str) -> None:
    console.print(text, markup=False)


def runtime(ctx: typer.Context) -> Runtime:
    obj = ctx.find_root().obj
    assert isinstance(obj, Runtime)
    return obj


EnvArg = Annotated[str, typer.Argument(help=" | ".join(deployed_names().split(", ")), show_default=False)]
ImageTagOpt = Annotated[str, typer.Option("--image-tag", help="Image tag in ECR (the git commit).")]


def environment(name: str) -> Environment:
    return resolve(name)


def duration(text: str, what: str) -> float:
    """A duration option (`90s`, `10m`, `1h`), with the option's name in the error."""
    try:
        return parse_duration(text)
    except UsageError as exc:
        raise UsageError(f"--{what}: {exc.message}") from None


YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (CI).")]


def confirm_change(rt: Runtime, env: Environment, what: str, yes: bool) -> None:
    """Environments the table marks (production) need a yes before anything changes: --yes, or a prompt."""
    if yes or not env.confirm_changes:
        return
    question = f"{what} on {env.name}?"
    if rt.confirm is not None:
        answer = rt.confirm(question)
    elif sys.stdin.isatty():
        answer = typer.confirm(question, default=False)
    else:
        raise Refused(f"{env.name} asks for confirmation and there is no terminal: pass --yes to {what}")
    if not answer:
        raise Refused(f"not confirmed: {what} on {env.name} was not done")
