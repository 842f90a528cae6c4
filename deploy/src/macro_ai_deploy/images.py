"""Building and pushing the API image. Every external command goes through a Runner, so it is visible."""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from macro_ai_deploy.aws.ecr import ImageInfo, Registry
from macro_ai_deploy.errors import DeployError, NotFound, Refused
from macro_ai_deploy.exitcodes import ExitCode

LOCAL_NAME = "macro-ai-api"


class Runner(Protocol):
    def __call__(
        self, argv: Sequence[str], *, input: str | None = None, cwd: str | None = None, capture: bool = False
    ) -> subprocess.CompletedProcess[str]: ...


def run_command(
    argv: Sequence[str], *, input: str | None = None, cwd: str | None = None, capture: bool = False
) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(  # noqa: S603 - argv lists built by this module, no shell
            list(argv),
            input=input,
            cwd=cwd,
            text=True,
            capture_output=capture or input is not None,
            check=False,
        )
    except FileNotFoundError:
        raise NotFound(f"command not found: {argv[0]}") from None


def shown(argv: Sequence[str]) -> str:
    return shlex.join(argv)


def detect_engine(
    which: Callable[[str], str | None] = shutil.which, env: dict[str, str] | None = None
) -> str:
    env = dict(os.environ) if env is None else env
    forced = env.get("MACRO_DEPLOY_CONTAINER_ENGINE")
    if forced:
        if which(forced):
            return forced
        raise NotFound(f"container engine {forced!r} (MACRO_DEPLOY_CONTAINER_ENGINE) is not installed")
    for engine in ("docker", "podman"):
        if which(engine):
            return engine
    raise NotFound("no container engine found: install docker or podman")


@dataclass(frozen=True)
class Source:
    root: Path
    commit: str
    dirty: tuple[str, ...]
    dirty_digest: str = ""


def _git(runner: Runner, root: Path, *args: str) -> str:
    proc = runner(["git", "-C", str(root), *args], capture=True)
    if proc.returncode != 0:
        raise Refused(f"git {' '.join(args)} failed: {(proc.stderr or '').strip().splitlines()[-1:] or ''}")
    return proc.stdout


def inspect_source(runner: Runner, root: Path, paths: Sequence[str] = (".",)) -> Source:
    commit = _git(runner, root, "rev-parse", "HEAD").strip()
    status = _git(runner, root, "status", "--porcelain", "--untracked-files=all", "--", *paths)
    dirty = tuple(line for line in status.splitlines() if line.strip())
    digest = ""
    if dirty:
        diff = _git(runner, root, "diff", "HEAD", "--", *paths)
        digest = hashlib.sha256((status + diff).encode()).hexdigest()[:10]
    return Source(root, commit, dirty, digest)


def choose_tag(source: Source, force: bool) -> str:
    """Tag = the git commit. A dirty build context is refused, or with --force tagged as such."""
    if not source.dirty:
        return source.commit
    if not force:
        listed = ", ".join(line[3:] for line in source.dirty[:5]) + (" ..." if len(source.dirty) > 5 else "")
        raise Refused(
            f"build context has {len(source.dirty)} uncommitted change(s) ({listed}); "
            "commit them, or pass --force to build a '-dirty' image"
        )
    return f"{source.commit}-dirty-{source.dirty_digest}"


def build_command(
    engine: str, tag: str, root: Path, dockerfile: str, platform: str | None, commit: str
) -> list[str]:
    argv = [
        engine,
        "build",
        "-f",
        str(root / dockerfile),
        "-t",
        f"{LOCAL_NAME}:{tag}",
        "--label",
        f"org.opencontainers.image.revision={commit}",
    ]
    if platform:
        argv += ["--platform", platform]
    return [*argv, str(root)]


def _check(proc: subprocess.CompletedProcess[str], what: str) -> None:
    if proc.returncode != 0:
        tail = ((proc.stderr or "") + (proc.stdout or "")).strip().splitlines()[-1:] or [
            f"exit {proc.returncode}"
        ]
        text = tail[0]
        code = (
            ExitCode.REFUSED
            if "immutable" in text.lower() or "already exists" in text.lower()
            else ExitCode.INTERNAL
        )
        raise DeployError(f"{what} failed: {text}", code)


@dataclass(frozen=True)
class PushOutcome:
    uri: str
    image: ImageInfo
    already_present: bool
    commands: tuple[str, ...]


def push(
    registry: Registry,
    runner: Runner,
    engine: str,
    repository: str,
    tag: str,
    say: Callable[[str], None] = lambda s: None,
) -> PushOutcome:
    repo = registry.repository(repository)
    uri = repo["repositoryUri"]
    existing = registry.image(repository, tag)
    if existing is not None:
        return PushOutcome(uri, existing, True, ())
    host, user, password = registry.login()
    login = [engine, "login", "--username", user, "--password-stdin", host]
    tag_cmd = [engine, "tag", f"{LOCAL_NAME}:{tag}", f"{uri}:{tag}"]
    push_cmd = [engine, "push", f"{uri}:{tag}"]
    commands: list[str] = []
    for argv, what, stdin in (
        (login, "registry login", password),
        (tag_cmd, "tag", None),
        (push_cmd, "push", None),
    ):
        commands.append(shown(argv))
        say(f"$ {shown(argv)}")  # the password goes through stdin, never on the command line
        _check(runner(argv, input=stdin), what)
    pushed = registry.image(repository, tag)
    if pushed is None:
        raise DeployError(f"push finished but ECR does not list {repository}:{tag}", ExitCode.AWS_ERROR)
    return PushOutcome(uri, pushed, False, tuple(commands))
