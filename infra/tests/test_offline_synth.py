"""The app synthesizes every stack with no AWS credentials, no AWS config and no network."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from aws_cdk import App, Stack
from infra_testkit import ENV_STACKS, SHARED_STACK, Synth
from macro_ai_infra.app import build_app

INFRA = Path(__file__).resolve().parents[1]


def offline_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_"))}
    env.update(
        AWS_CONFIG_FILE=str(tmp_path / "no-such-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-such-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        # Any attempt to reach the network goes to a closed local port and fails.
        HTTP_PROXY="http://127.0.0.1:9",
        HTTPS_PROXY="http://127.0.0.1:9",
        http_proxy="http://127.0.0.1:9",
        https_proxy="http://127.0.0.1:9",
        NO_PROXY="",
        CDK_OUTDIR=str(tmp_path / "cdk.out"),
        CDK_CONTEXT_JSON=json.dumps({"pr": "7", "expires_at": "2030-01-01T00:00:00Z"}),
        JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
    )
    return env


def test_cdk_entry_point_synthesizes_all_stacks_offline(tmp_path: Path, synth: Synth) -> None:
    assert json.loads((INFRA / "cdk.json").read_text())["app"] == "python app.py"
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=INFRA,
        env=offline_env(tmp_path),
        capture_output=True,
        text=True,
        check=False,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = tmp_path / "cdk.out"
    expected = {*ENV_STACKS, SHARED_STACK, "MacroAiPreviewStack-pr-7"}
    assert {p.name.removesuffix(".template.json") for p in out.glob("*.template.json")} == expected
    manifest = json.loads((out / "manifest.json").read_text())
    for name in expected:
        artifact = manifest["artifacts"][name]
        # account-agnostic: no account was looked up or baked in
        assert artifact["environment"] == "aws://unknown-account/us-east-1"
    assert not any(
        "lookup" in json.dumps(a.get("metadata", {})).lower() and "missing" in json.dumps(a)
        for a in manifest["artifacts"].values()
    )
    assert "missing" not in manifest
    # Deterministic, and the CLI entry point builds exactly what the tests examined.
    for name in (*ENV_STACKS, SHARED_STACK):
        assert json.loads((out / f"{name}.template.json").read_text()) == synth.raw[name], name


def test_without_pr_context_only_long_lived_stacks_exist() -> None:
    app = build_app(App())
    names = {c.node.id for c in app.node.children if isinstance(c, Stack)}
    assert names == {*ENV_STACKS, SHARED_STACK}
