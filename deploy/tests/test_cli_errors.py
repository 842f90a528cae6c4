"""Help and errors: one clear line on stderr, a documented non-zero exit code, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def run(args, env_extra=None, drop=()):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in drop}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "macro_ai_deploy.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def one_clean_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("macro-deploy: error: ")
    return lines[0]


def test_help_lists_every_command(cli):
    r = cli("--help")
    assert r.exit_code == 0
    for cmd in ("deploy", "rollback", "status", "image", "migrate", "preview", "config"):
        assert cmd in r.stdout
    for sub in (
        ("migrate", "plan|start|status|promote|abort"),
        ("preview", "up|down|list|reap"),
        ("image", "build|push"),
        ("config", "diff|push"),
    ):
        r = cli(sub[0], "--help")
        assert r.exit_code == 0
        for name in sub[1].split("|"):
            assert name in r.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["deploy", "prod", "--image-tag", "x"],
        ["status", "pr-0"],
        ["migrate", "start", "Staging"],
        ["config", "diff", "dev", "--env-file", "x.env"],
    ],
)
def test_unknown_environment(cli, args):
    r = cli(*args)
    assert r.exit_code == 2
    line = one_clean_line(r.stderr)
    assert "unknown environment" in line
    assert "hobby, staging, production or pr-<number>" in line


@pytest.mark.parametrize(
    "args",
    [
        ["status", "staging"],
        ["migrate", "status", "production"],
        ["deploy", "pr-7", "--image-tag", "abc"],
        ["preview", "down", "7"],
    ],
)
def test_missing_stack(aws, cli, args):
    r = cli(*args)
    assert r.exit_code == 3, r.all_output
    line = one_clean_line(r.stderr)
    assert "does not exist" in line
    assert "Macro" in line


def test_no_credentials_in_a_real_process(moto_url, tmp_path):
    r = run(
        ["status", "hobby"],
        {
            "AWS_ENDPOINT_URL": moto_url,
            "AWS_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": str(tmp_path / "none"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        },
    )
    assert r.returncode == 4, r.stderr
    assert "no AWS credentials found" in one_clean_line(r.stderr)


def test_no_region_in_a_real_process(moto_url, tmp_path):
    r = run(
        ["migrate", "status", "hobby"],
        {
            "AWS_ENDPOINT_URL": moto_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_CONFIG_FILE": str(tmp_path / "none"),
            "AWS_EC2_METADATA_DISABLED": "true",
        },
    )
    assert r.returncode == 4, r.stderr
    assert "no AWS region" in one_clean_line(r.stderr)


def test_missing_stack_in_a_real_process(aws):
    r = run(["status", "staging"], {k: v for k, v in os.environ.items() if k.startswith("AWS_")})
    assert r.returncode == 3
    assert "stack MacroAiStagingStack does not exist" in one_clean_line(r.stderr)


def test_unreachable_endpoint_is_one_line(tmp_path):
    r = run(
        ["status", "hobby"],
        {
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "x",
            "AWS_SECRET_ACCESS_KEY": "x",
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_CONFIG_FILE": str(tmp_path / "none"),
        },
    )
    assert r.returncode == 5
    assert "cannot reach AWS" in one_clean_line(r.stderr)


def test_bad_duration_and_usage(cli):
    r = cli("migrate", "plan", "hobby", "--bake", "ten minutes")
    assert r.exit_code == 2
    assert "--bake: invalid duration" in one_clean_line(r.stderr)
    r = cli("deploy", "hobby")  # missing --image-tag: Typer's own usage error
    assert r.exit_code == 2
    assert "Traceback" not in r.stderr
