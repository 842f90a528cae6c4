"""Image build/push: engine choice, git-commit tags, dirty-tree refusal, and ECR bookkeeping against moto.

There is no container engine or registry here: the engine commands go through a recording fake runner
(which, on `push`, records the image in moto's ECR the way a registry push would)."""

from __future__ import annotations

import json
import subprocess

import pytest
from macro_ai_deploy.aws.ecr import Registry
from macro_ai_deploy.errors import NotFound, Refused
from macro_ai_deploy.images import choose_tag, detect_engine, inspect_source

COMMIT = "0123456789abcdef0123456789abcdef01234567"
MEDIA = "application/vnd.docker.distribution.manifest.v2+json"


class FakeRunner:
    def __init__(self, dirty: str = "", ecr=None, push_fails: str = "") -> None:
        self.calls: list[list[str]] = []
        self.stdin: list[str | None] = []
        self.dirty, self.ecr, self.push_fails = dirty, ecr, push_fails

    def __call__(self, argv, *, input=None, cwd=None, capture=False):
        argv = list(argv)
        self.calls.append(argv)
        self.stdin.append(input)
        out, rc, err = "", 0, ""
        if argv[0] == "git":
            sub = argv[3]
            out = {"rev-parse": COMMIT + "\n", "status": self.dirty, "diff": "diff --git a/x b/x\n"}[sub]
        elif argv[1] == "push":
            if self.push_fails:
                rc, err = 1, self.push_fails
            elif self.ecr is not None:
                repo, tag = argv[2].split("/", 1)[1].rsplit(":", 1)
                manifest = json.dumps(
                    {
                        "schemaVersion": 2,
                        "mediaType": MEDIA,
                        "config": {"digest": "sha256:" + "c" * 64},
                        "layers": [],
                        "tag": tag,
                    }
                )
                self.ecr.put_image(repositoryName=repo, imageManifest=manifest, imageTag=tag)
        return subprocess.CompletedProcess(argv, rc, out, err)


def engines(*present):
    return lambda name: f"/usr/bin/{name}" if name in present else None


def test_engine_detection_prefers_docker_then_podman():
    assert detect_engine(engines("docker", "podman"), {}) == "docker"
    assert detect_engine(engines("podman"), {}) == "podman"
    assert detect_engine(engines("docker", "podman"), {"MACRO_DEPLOY_CONTAINER_ENGINE": "podman"}) == "podman"
    with pytest.raises(NotFound, match="docker or podman"):
        detect_engine(engines(), {})


def test_dirty_tree_is_refused_unless_forced(tmp_path):
    runner = FakeRunner(dirty=" M api/src/macro_ai/main.py\n?? api/new.py\n")
    src = inspect_source(runner, tmp_path)
    with pytest.raises(Refused, match="2 uncommitted change"):
        choose_tag(src, force=False)
    forced = choose_tag(src, force=True)
    assert forced.startswith(COMMIT + "-dirty-")
    assert len(forced) == len(COMMIT) + 7 + 10
    assert choose_tag(inspect_source(FakeRunner(), tmp_path), force=False) == COMMIT


def test_build_command_is_visible_and_uses_commit_tag(cli, tmp_path):
    runner = FakeRunner()
    cli.runtime.runner = runner
    cli.runtime.which = engines("podman")
    r = cli("image", "build", "--root", str(tmp_path))
    assert r.exit_code == 0, r.all_output
    build = runner.calls[-1]
    assert build[:2] == ["podman", "build"]
    assert f"macro-ai-api:{COMMIT}" in build
    assert "--platform" in build
    assert "linux/arm64" in build
    assert f"$ podman build -f {tmp_path}/api/Dockerfile" in r.stdout
    dirty = FakeRunner(dirty=" M x\n")
    cli.runtime.runner = dirty
    r = cli("image", "build", "--root", str(tmp_path))
    assert r.exit_code == 6
    assert "uncommitted" in r.stderr
    assert not any(c[1] == "build" for c in dirty.calls[2:])


def test_push_logs_in_through_boto3_pushes_and_verifies_in_ecr(world, cli, aws_client, tmp_path):
    ecr = aws_client("ecr")
    runner = FakeRunner(ecr=ecr)
    cli.runtime.runner, cli.runtime.which = runner, engines("docker")
    r = cli("image", "push", "--env", "hobby", "--root", str(tmp_path))
    assert r.exit_code == 0, r.all_output
    verbs = [c[1] for c in runner.calls if c[0] == "docker"]
    assert verbs == ["login", "tag", "push"]
    login = next(c for c in runner.calls if c[1:2] == ["login"])
    password = runner.stdin[runner.calls.index(login)]
    assert password
    assert password not in " ".join(login)
    assert password not in r.stdout
    assert Registry(ecr).image("macro-ai-api-hobby", COMMIT) is not None
    assert "pushed " in r.stdout
    assert "sha256:" in r.stdout

    # pushing the same commit again: the tag is immutable and already there -> nothing to do, no engine calls
    runner2 = FakeRunner(ecr=ecr)
    cli.runtime.runner = runner2
    r = cli("image", "push", "--env", "hobby", "--root", str(tmp_path))
    assert r.exit_code == 0
    assert "already in ECR" in r.stdout
    assert [c for c in runner2.calls if c[0] == "docker"] == []


def test_registry_refusing_an_immutable_tag_is_reported(world, cli, tmp_path):
    runner = FakeRunner(
        push_fails="tag invalid: The image tag 'x' already exists and cannot be overwritten "
        "because the repository is immutable."
    )
    cli.runtime.runner, cli.runtime.which = runner, engines("docker")
    r = cli("image", "push", "--repository", "macro-ai-api-hobby", "--root", str(tmp_path))
    assert r.exit_code == 6
    assert "immutable" in r.stderr


def test_moto_ecr_enforces_immutable_tags(world, aws_client):
    # what the bookkeeping relies on: ECR never lets a pushed tag change
    ecr = aws_client("ecr")
    m1 = json.dumps(
        {"schemaVersion": 2, "mediaType": MEDIA, "config": {"digest": "sha256:" + "1" * 64}, "layers": []}
    )
    ecr.put_image(repositoryName="macro-ai-api-hobby", imageManifest=m1, imageTag="t1")
    with pytest.raises(ecr.exceptions.ImageAlreadyExistsException):
        ecr.put_image(repositoryName="macro-ai-api-hobby", imageManifest=m1.replace("1", "2"), imageTag="t1")
    assert Registry(ecr).image("macro-ai-api-hobby", "nope") is None


def test_deploy_refuses_a_tag_that_is_not_in_ecr(world, cli):
    r = cli("deploy", "hobby", "--image-tag", "deadbeef")
    assert r.exit_code == 3
    assert "image macro-ai-api-hobby:deadbeef is not in ECR" in r.stderr
    assert r.stderr.count("\n") == 1
    assert world.stack_params()["ImageTag"] == "c0ffee"  # nothing changed
