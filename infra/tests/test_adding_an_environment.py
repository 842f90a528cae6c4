"""Adding an environment is one entry in the table plus its profile: nothing else changes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from macro_ai_contract.environments import TABLE_ENV, TABLE_FILE
from macro_ai_infra.app import build_app
from macro_ai_infra.profile import SharedPlatform
from macro_ai_infra.profiles import HOBBY, register_profile, unregister_profile

STACK = "MacroAiStaging2Stack"


@pytest.fixture
def staging2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    table = json.loads(TABLE_FILE.read_text())
    table["environments"].append(
        {
            "name": "staging2",
            "app": {"readsDotenv": False, "secureCookies": True, "offlineProviderAllowed": False},
            "stack": STACK,
            "logRetention": "standard",
        }
    )
    path = tmp_path / "environments.json"
    path.write_text(json.dumps(table))
    monkeypatch.setenv(TABLE_ENV, str(path))
    # The profile: only what differs (here: hobby's shape, its own host and rule on the shared listener).
    register_profile(
        replace(
            HOBBY,
            key="staging2",
            api_host_prefix="api-staging2",
            platform=SharedPlatform(rule_priority=49999),
        )
    )
    yield tmp_path
    unregister_profile("staging2")


def test_a_table_entry_and_a_profile_give_a_stack_with_its_own_configuration(staging2: Path) -> None:
    outdir = staging2 / "cdk.out"
    build_app(outdir=str(outdir)).synth()
    template = json.loads((outdir / f"{STACK}.template.json").read_text())
    resources = template["Resources"]
    names = {r["Properties"]["Name"] for r in resources.values() if r["Type"] == "AWS::SSM::Parameter"}
    assert names
    assert all(n.startswith("/macro-ai/staging2/") for n in names)
    secrets = {
        r["Properties"]["Name"] for r in resources.values() if r["Type"] == "AWS::SecretsManager::Secret"
    }
    assert secrets == {"macro-ai/staging2/app"}
    (task,) = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::ECS::TaskDefinition"]
    env = {e["Name"]: e["Value"] for e in task["ContainerDefinitions"][0]["Environment"]}
    assert env["APP_ENV"] == "staging2"
    assert template["Outputs"]["ServiceUrl"]["Value"] == "https://api-staging2.macro-ai.example.com"


def test_a_table_entry_without_a_profile_fails_the_synth_by_name(staging2: Path) -> None:
    unregister_profile("staging2")
    with pytest.raises(KeyError, match="staging2"):
        build_app(outdir=str(staging2 / "cdk.out"))
