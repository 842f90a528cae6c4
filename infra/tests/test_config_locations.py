"""Config goes where the task reads it: the synthesized task definitions against what `config push` writes.

For every stack with a task definition, each Parameter Store parameter and each Secrets Manager JSON key that
the container's `Secrets` reference is either created by the stacks themselves or written by
`macro-deploy config push` for that environment, and everything `config push` writes is referenced. The push
runs for real, through the CLI, against the moto server (Parameter Store and Secrets Manager are faithful
there); the stacks' own resources are read from the templates.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from infra_testkit import ENV_STACKS, PREVIEW_STACK, SHARED_STACK, Synth
from macro_ai_contract import load_contract, load_environments
from macro_ai_contract.config_locations import config_locations
from macro_ai_deploy.cli import Runtime, app
from macro_ai_devstack.testing import moto_server
from typer.testing import CliRunner

REGION = "us-east-1"
# stack -> the environment whose config it reads; the preview stack also reads what the shared stack creates
STACK_ENVIRONMENT = {stack: env.name for env in load_environments().deployed() for stack in [env.stack_name]}
STACK_ENVIRONMENT[PREVIEW_STACK] = str(
    getattr(load_environments().preview_of_stack(PREVIEW_STACK), "name", "")
)
CREATING_STACKS = {PREVIEW_STACK: (PREVIEW_STACK, SHARED_STACK)}


def _literal(parts: list[Any]) -> str:
    return "".join(p for p in parts if isinstance(p, str))


def _refs(value: Any) -> list[str]:
    if isinstance(value, dict):
        if "Ref" in value:
            return [value["Ref"]]
        return [r for v in value.values() for r in _refs(v)]
    if isinstance(value, list):
        return [r for v in value for r in _refs(v)]
    return []


class Templates:
    def __init__(self, synth: Synth) -> None:
        self.raw = synth.raw

    def resource(self, stacks: tuple[str, ...], logical_id: str) -> dict[str, Any]:
        for stack in stacks:
            if logical_id in self.raw[stack]["Resources"]:
                return dict(self.raw[stack]["Resources"][logical_id]["Properties"])
        raise AssertionError(f"{logical_id} is in none of {stacks}")

    def exported(self, stacks: tuple[str, ...], export: str) -> str:
        for stack in stacks:
            for output in self.raw[stack].get("Outputs", {}).values():
                if output.get("Export", {}).get("Name") == export:
                    (ref,) = _refs(output["Value"])
                    return ref
        raise AssertionError(f"no stack of {stacks} exports {export}")

    def created_parameters(self, stacks: tuple[str, ...]) -> set[str]:
        return {
            r["Properties"]["Name"]
            for stack in stacks
            for r in self.raw[stack]["Resources"].values()
            if r["Type"] == "AWS::SSM::Parameter"
        }

    def task_reads(self, stack: str) -> tuple[set[str], set[tuple[str, str]]]:
        """(Parameter Store names, (secret name, JSON key)) that the container's Secrets reference."""
        stacks = CREATING_STACKS.get(stack, (stack,))
        (task,) = [
            r for r in self.raw[stack]["Resources"].values() if r["Type"] == "AWS::ECS::TaskDefinition"
        ]
        (container,) = task["Properties"]["ContainerDefinitions"]
        parameters, keys = set(), set()
        for item in container["Secrets"]:
            parts = item["ValueFrom"]["Fn::Join"][1]
            text = _literal(parts)
            if ":ssm:" in text:
                name = text.split(":parameter", 1)[1]
                for ref in _refs(parts):
                    if not ref.startswith("AWS::"):  # pseudo parameters (partition, account) precede the name
                        name += self.resource(stacks, ref)["Name"]
                parameters.add(name)
                continue
            key = text.removeprefix(":").removesuffix("::")
            first = parts[0]
            logical_id = (
                self.exported(stacks, first["Fn::ImportValue"])
                if "Fn::ImportValue" in first
                else first["Ref"]
            )
            keys.add((self.resource(stacks, logical_id)["Name"], key))
        return parameters, keys


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    with moto_server() as url:
        yield url


def _pushed(
    moto_url: str, env: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> tuple[set[str], set[Any]]:
    """Run `config push ENV` with every item an operator may set, then list what the stores hold."""
    for key, value in {
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST"))  # noqa: S310
    # every item config push accepts for the environment (its locations say which)
    names = sorted(config_locations(load_environments().resolve(env), load_contract()).names)
    env_file = tmp_path / f"{env}.env"
    env_file.write_text("".join(f"{name}=value-of-{name}\n" for name in names))
    result = CliRunner().invoke(app, ["config", "push", env, "--env-file", str(env_file)], obj=Runtime())
    assert result.exit_code == 0, result.stdout + result.stderr
    ssm = boto3.client("ssm", region_name=REGION)
    parameters = {
        p["Name"] for page in ssm.get_paginator("describe_parameters").paginate() for p in page["Parameters"]
    }
    sm = boto3.client("secretsmanager", region_name=REGION)
    keys = set()
    for secret in sm.list_secrets()["SecretList"]:
        document = json.loads(sm.get_secret_value(SecretId=secret["Name"])["SecretString"])
        keys |= {(secret["Name"], key) for key in document}
    return parameters, keys


@pytest.mark.parametrize("stack", [*ENV_STACKS, PREVIEW_STACK])
def test_config_push_writes_exactly_what_the_task_reads(
    synth: Synth, stack: str, moto_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    templates = Templates(synth)
    read_parameters, read_keys = templates.task_reads(stack)
    by_stack = templates.created_parameters(CREATING_STACKS.get(stack, (stack,)))
    pushed_parameters, pushed_keys = _pushed(moto_url, STACK_ENVIRONMENT[stack], tmp_path, monkeypatch)

    assert read_keys == pushed_keys, "every secret key the task reads is pushed, and nothing else"
    assert read_parameters - by_stack == pushed_parameters, "operator parameters: pushed where the task reads"
    assert not pushed_parameters & by_stack, "config push never overwrites a parameter the stack owns"
