"""`preview up|down|list|reap`: one stack per pull request, created through the CDK CLI."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from macro_ai_contract.outputs import StackOutput
from rich.table import Table

from macro_ai_deploy import images, previews
from macro_ai_deploy.envs import preview
from macro_ai_deploy.errors import DeployError, NotFound
from macro_ai_deploy.exitcodes import ExitCode
from macro_ai_deploy.runtime import ImageTagOpt, console, duration, runtime, say

app = typer.Typer(no_args_is_help=True, help="Per-PR preview environments.")

PrArg = Annotated[int, typer.Argument(help="Pull request number.")]


@app.command("up")
def preview_up(
    ctx: typer.Context,
    pr: PrArg,
    image_tag_: ImageTagOpt,
    ttl: Annotated[str, typer.Option(help="-> macro-ai:expires-at tag (CDK context expires_at).")] = "24h",
    app_dir: Annotated[Path, typer.Option(help="Directory of the CDK app (cdk.json).")] = Path("infra"),
    cdk: Annotated[str, typer.Option(help="The CDK CLI command.")] = "npx cdk",
    context_key: Annotated[str, typer.Option(help="CDK context key that selects the preview.")] = "pr",
    dry_run: Annotated[bool, typer.Option(help="Only print the command.")] = False,
) -> None:
    """Create or update the preview stack MacroAiPreviewStack-pr-<n> through the CDK CLI."""
    rt = runtime(ctx)
    expires = rt.utcnow() + timedelta(seconds=duration(ttl, "ttl"))
    argv = previews.cdk_deploy_command(pr, image_tag_, expires, tuple(cdk.split()), context_key)
    say(f"$ (cd {app_dir}) {images.shown(argv)}")
    if dry_run:
        return
    proc = rt.runner(argv, cwd=str(app_dir))
    if proc.returncode != 0:
        raise DeployError(f"cdk deploy of pr-{pr} failed (exit {proc.returncode})", ExitCode.DEPLOY_FAILED)
    info = rt.stacks().describe(preview(pr).stack_name)
    say(f"pr-{pr}: {info.status} {info.outputs.get(StackOutput.SERVICE_URL, '')}")


@app.command("down")
def preview_down(
    ctx: typer.Context,
    pr: PrArg,
    wait: Annotated[bool, typer.Option(help="Wait until the stack is gone.")] = False,
    timeout: Annotated[str, typer.Option(help="How long to wait.")] = "30m",
) -> None:
    """Delete the preview stack of a pull request (through CloudFormation)."""
    rt = runtime(ctx)
    stacks = rt.stacks()
    name = preview(pr).stack_name
    info = stacks.describe(name)
    stacks.delete(name)
    say(f"deleting {name} (was {info.status})")
    if not wait:
        return
    deadline = rt.clock.now() + duration(timeout, "timeout")
    while True:
        try:
            now = stacks.describe(name)
        except NotFound:
            say(f"{name} deleted")
            return
        if now.status == "DELETE_FAILED":
            raise DeployError(
                f"{name} DELETE_FAILED: {stacks.failure_reason(name) or now.status_reason}",
                ExitCode.DEPLOY_FAILED,
            )
        if rt.clock.now() >= deadline:
            raise DeployError(f"{name} still {now.status} after the timeout", ExitCode.DEPLOY_TIMEOUT)
        rt.clock.sleep(rt.cfn_poll_seconds)


@app.command("list")
def preview_list(ctx: typer.Context) -> None:
    """All preview stacks with status, age and expiry."""
    rt = runtime(ctx)
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


@app.command("reap")
def preview_reap(
    ctx: typer.Context,
    older_than: Annotated[
        str, typer.Option(help="Also delete previews created longer ago than this.")
    ] = "24h",
    dry_run: Annotated[bool, typer.Option(help="Only list what would be deleted.")] = False,
) -> None:
    """Delete previews past their macro-ai:expires-at tag or older than --older-than."""
    rt = runtime(ctx)
    stacks = rt.stacks()
    doomed = previews.reapable(
        previews.previews(stacks.all(previews.stack_prefix())),
        rt.utcnow(),
        timedelta(seconds=duration(older_than, "older-than")),
    )
    if not doomed:
        say("nothing to reap")
    for p, why in doomed:
        say(f"{'would delete' if dry_run else 'deleting'} {p.stack.name}: {why}")
        if not dry_run:
            stacks.delete(p.stack.name)
