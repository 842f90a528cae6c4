"""Previews against moto: the CDK command, and CloudFormation list, reap and down."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta

from macro_ai_deploy.aws.cfn import StackInfo
from macro_ai_deploy.previews import Preview, cdk_deploy_command, reapable

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


class Recorder:
    def __init__(self, rc: int = 0) -> None:
        self.calls: list[tuple[list[str], str | None]] = []
        self.rc = rc

    def __call__(self, argv, *, input=None, cwd=None, capture=False):
        self.calls.append((list(argv), cwd))
        return subprocess.CompletedProcess(list(argv), self.rc, "", "")


def test_cdk_command_names_stack_tag_context_and_image():
    argv = cdk_deploy_command(42, "abc123", NOW + timedelta(hours=24))
    assert argv[:4] == ["npx", "cdk", "deploy", "MacroAiPreviewStack-pr-42"]
    assert argv[argv.index("--context") + 1] == "pr=42"  # what infra/app.py reads
    assert "expires_at=2026-11-30T12:00:00Z" in argv
    assert "MacroAiPreviewStack-pr-42:ImageTag=abc123" in argv
    assert argv[argv.index("--require-approval") + 1] == "never"


def test_preview_up_runs_the_visible_command(cli, make_world, aws_client):
    rec = Recorder()
    cli.runtime.runner = rec
    dry = cli("preview", "up", "7", "--image-tag", "abc", "--dry-run", "--ttl", "2h")
    assert dry.exit_code == 0
    assert rec.calls == []
    assert "$ (cd infra) npx cdk deploy MacroAiPreviewStack-pr-7" in dry.stdout
    assert "--context pr=7 --context expires_at=2026-11-29T14:00:00Z" in dry.stdout
    make_world(env="pr-7", stack="MacroAiPreviewStack-pr-7")  # what cdk deploy would have created
    r = cli("preview", "up", "7", "--image-tag", "abc", "--app-dir", "infra", "--cdk", "cdk")
    assert r.exit_code == 0, r.all_output
    ((argv, cwd),) = rec.calls
    assert argv[:3] == ["cdk", "deploy", "MacroAiPreviewStack-pr-7"]
    assert cwd == "infra"
    assert "https://api.pr-7.macro-ai.example" in r.stdout
    failing = Recorder(rc=1)
    cli.runtime.runner = failing
    r = cli("preview", "up", "8", "--image-tag", "abc")
    assert r.exit_code == 11
    assert "cdk deploy of pr-8 failed" in r.stderr


def _preview_stack(aws_client, n: int, expires: datetime | None) -> None:
    tags = [{"Key": "macro-ai:preview", "Value": f"pr-{n}"}]
    if expires:
        tags.append({"Key": "macro-ai:expires-at", "Value": expires.strftime("%Y-%m-%dT%H:%M:%SZ")})
    aws_client("cloudformation").create_stack(
        StackName=f"MacroAiPreviewStack-pr-{n}",
        Tags=tags,
        TemplateBody='{"Resources": {"H": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}}',
    )


def test_list_reap_and_down_through_cloudformation(world, cli, aws_client):
    real_now = datetime.now(UTC)
    cli.runtime.utcnow = lambda: real_now
    _preview_stack(aws_client, 1, real_now - timedelta(hours=1))  # expired
    _preview_stack(aws_client, 2, real_now + timedelta(hours=5))  # alive
    _preview_stack(aws_client, 3, None)  # no tag, young
    listed = cli("preview", "list")
    assert listed.exit_code == 0
    assert "pr-1" in listed.stdout
    assert "pr-2" in listed.stdout
    assert "pr-3" in listed.stdout
    assert "MacroAiHobbyStack" not in listed.stdout
    assert "expired" in listed.stdout

    dry = cli("preview", "reap", "--older-than", "24h", "--dry-run")
    assert "would delete MacroAiPreviewStack-pr-1: expired" in dry.stdout
    assert "pr-2" not in dry.stdout
    assert "pr-3" not in dry.stdout
    r = cli("preview", "reap", "--older-than", "24h")
    assert r.exit_code == 0
    assert "deleting MacroAiPreviewStack-pr-1" in r.stdout
    names = {
        s["StackName"]
        for s in aws_client("cloudformation").describe_stacks()["Stacks"]
        if s["StackStatus"] != "DELETE_COMPLETE"
    }
    assert "MacroAiPreviewStack-pr-1" not in names
    assert "MacroAiPreviewStack-pr-2" in names

    down = cli("preview", "down", "2", "--wait")
    assert down.exit_code == 0, down.all_output
    assert "MacroAiPreviewStack-pr-2 deleted" in down.stdout
    again = cli("preview", "down", "2")
    assert again.exit_code == 3
    assert "does not exist" in again.stderr


def test_reap_selects_by_expiry_or_age():
    def item(name, created_h_ago, expires_in_h):
        stack = StackInfo(
            f"MacroAiPreviewStack-{name}", "CREATE_COMPLETE", created=NOW - timedelta(hours=created_h_ago)
        )
        return Preview(stack, None if expires_in_h is None else NOW + timedelta(hours=expires_in_h))

    items = [item("pr-1", 30, None), item("pr-2", 2, -1), item("pr-3", 2, 10), item("pr-4", 30, 10)]
    chosen = {p.name: why for p, why in reapable(items, NOW, timedelta(hours=24))}
    assert set(chosen) == {"pr-1", "pr-2", "pr-4"}
    assert "expired" in chosen["pr-2"]
    assert "older than" in chosen["pr-1"]
