"""`image build|push`: the API image, tagged with the git commit, into the environment's ECR repository."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from macro_ai_contract.outputs import StackOutput

from macro_ai_deploy import images, promotion
from macro_ai_deploy.aws.ecr import Registry
from macro_ai_deploy.errors import DeployError, UsageError
from macro_ai_deploy.exitcodes import ExitCode
from macro_ai_deploy.runtime import ImageTagOpt, Runtime, environment, runtime, say

app = typer.Typer(no_args_is_help=True, help="Build, push and promote the API image (tag = git commit).")

RootOpt = Annotated[Path, typer.Option(help="Repository root = build context.")]


@app.command("build")
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
    rt = runtime(ctx)
    root = root.resolve()
    source = images.inspect_source(rt.runner, root)
    tag = images.choose_tag(source, force)
    engine = images.detect_engine(rt.which)
    argv = images.build_command(engine, tag, root, dockerfile, platform or None, source.commit)
    say(f"$ {images.shown(argv)}")
    if dry_run:
        return
    proc = rt.runner(argv)
    if proc.returncode != 0:
        raise DeployError(f"image build failed (exit {proc.returncode})", ExitCode.INTERNAL)
    say(f"built {images.LOCAL_NAME}:{tag}")


@app.command("push")
def image_push(
    ctx: typer.Context,
    env: Annotated[str, typer.Option(help="Environment whose stack names the ECR repository.")] = "hobby",
    repository: Annotated[str | None, typer.Option(help="ECR repository (default: the stack's).")] = None,
    root: RootOpt = Path("."),
    force: Annotated[bool, typer.Option(help="Push the '-dirty' image of a dirty work tree.")] = False,
) -> None:
    """Push macro-ai-api:<commit> to ECR (login through boto3). Refuses a dirty work tree unless --force."""
    rt = runtime(ctx)
    source = images.inspect_source(rt.runner, root.resolve())
    tag = images.choose_tag(source, force)
    engine = images.detect_engine(rt.which)
    repo = repository or rt.stacks().describe(environment(env).stack_name).output(
        StackOutput.ECR_REPOSITORY_NAME
    )
    out = images.push(Registry(rt.aws.client("ecr")), rt.runner, engine, repo, tag, say=say)
    if out.already_present:
        say(f"{repo}:{tag} is already in ECR ({out.image.digest}); tags are immutable: nothing to push")
    else:
        say(f"pushed {out.uri}:{tag} ({out.image.digest})")


def _repository(rt: Runtime, env: str) -> str:
    return rt.stacks().describe(environment(env).stack_name).output(StackOutput.ECR_REPOSITORY_NAME)


@app.command("promote")
def image_promote(
    ctx: typer.Context,
    from_env: Annotated[
        str, typer.Argument(metavar="FROM", help="Environment whose repository has the image.")
    ],
    to_env: Annotated[str, typer.Argument(metavar="TO", help="Environment to promote it to.")],
    image_tag_: ImageTagOpt,
    fail_on: Annotated[
        str, typer.Option(help=f"Refuse scan findings at or above: {', '.join(promotion.SEVERITIES)}.")
    ] = "HIGH",
) -> None:
    """Copy FROM's image to TO's repository: same manifest and digest, no rebuild, scan findings checked."""
    level = fail_on.upper()
    if level not in promotion.SEVERITIES:
        raise UsageError(f"--fail-on: one of {', '.join(promotion.SEVERITIES)}, got {fail_on!r}")
    rt = runtime(ctx)
    source, target = _repository(rt, from_env), _repository(rt, to_env)
    out = promotion.promote(Registry(rt.aws.client("ecr")), source, target, image_tag_, level, say=say)
    if out.already_there:
        say(f"{target}:{out.tag} is already there with the same digest ({out.digest}): nothing to do")
    else:
        say(f"promoted {source}:{out.tag} -> {target}:{out.tag} ({out.digest})")
