"""Adding an environment is one entry in the environment table (plus its infra profile): nothing else changes.

A copy of ``environments.json`` with a test-only ``staging2`` is handed to each program through
``MACRO_AI_ENVIRONMENTS``, and each one, run as a real process, knows it: macro-deploy (help, configuration
locations, stack name) and the API (an accepted ``APP_ENV``). The infra side (a synthesized
``MacroAiStaging2Stack``) is in ``infra/tests``, where the CDK app is synthesized once per session.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from macro_ai_contract.environments import TABLE_FILE
from macro_ai_devstack.testing import moto_server

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def table_with_staging2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = json.loads(TABLE_FILE.read_text())
    staging = next(e for e in data["environments"] if e["name"] == "staging")
    data["environments"].append({**staging, "name": "staging2", "stack": "MacroAiStaging2Stack"})
    path = tmp_path_factory.mktemp("table") / "environments.json"
    path.write_text(json.dumps(data))
    return path


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    with moto_server() as url:
        yield url


def run(table: Path | None, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "COLUMNS": "200", **env}
    environment.pop("MACRO_AI_ENVIRONMENTS", None)
    if table is not None:
        environment["MACRO_AI_ENVIRONMENTS"] = str(table)
    return subprocess.run(args, capture_output=True, text=True, env=environment, timeout=60, check=False)


def test_macro_deploy_knows_the_new_environment(
    table_with_staging2: Path, moto_url: str, tmp_path: Path
) -> None:
    deploy = str(BIN / "macro-deploy")
    assert "staging2" in run(table_with_staging2, deploy, "deploy", "--help").stdout
    assert "staging2" not in run(None, deploy, "deploy", "--help").stdout

    env_file = tmp_path / "staging2.env"
    env_file.write_text("AWS_COGNITO_USER_POOL_CLIENT_ID=client-of-staging2\n")
    aws = {
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    diff = run(table_with_staging2, deploy, "config", "diff", "staging2", "--env-file", str(env_file), **aws)
    assert diff.returncode == 0, diff.stderr
    assert "secret macro-ai/staging2/app, parameters /macro-ai/staging2/*" in diff.stdout

    status = run(table_with_staging2, deploy, "status", "staging2", **aws)
    assert "MacroAiStaging2Stack" in status.stdout + status.stderr  # no such stack in the emulator: named

    unknown = run(None, deploy, "config", "diff", "staging2", "--env-file", str(env_file), **aws)
    assert unknown.returncode != 0
    assert "unknown environment 'staging2'" in unknown.stderr


def test_the_api_accepts_the_new_app_env(table_with_staging2: Path) -> None:
    sys.path.insert(0, str(REPO / "api" / "tests"))
    from api_support import service_environment

    environment = service_environment(
        "postgresql://app@127.0.0.1:5/db", APP_ENV="staging2", AI_PROVIDER="openai"
    )
    environment["OPENAI_API_KEY"] = "sk-test-" + "x" * 20
    api = str(BIN / "macro-ai")
    accepted = run(table_with_staging2, api, "check-config", **environment)
    assert accepted.returncode == 0, accepted.stderr
    refused = run(None, api, "check-config", **environment)
    assert refused.returncode == 78
    assert "APP_ENV: must be" in refused.stderr
