"""Secret material and network exposure, checked on every synthesized template."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from infra_testkit import ALL_STACKS, ENV_STACKS, PREVIEW_STACK, Synth
from macro_ai_contract.service import ServiceContract

SECRET_NAME = re.compile(r"KEY|SECRET|PASSWORD|TOKEN", re.IGNORECASE)
SECRET_VALUE_PATTERNS = {
    "AWS access key id": re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "OpenAI-style key": re.compile(r"\bsk-[A-Za-z0-9_-]{20,}"),
    "URL with a password": re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@"),
    # (CDK asset hashes are 64 hex too, but always name a file: "<hash>.zip")
    "64-hex key": re.compile(r"\b[0-9a-f]{64}\b(?!\.zip)"),
    "JWT": re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\."),
}
# Template keys that name secret material; a literal non-empty string under one of them is a leak.
SECRET_KEYS = re.compile(r"(password|secretstring|secretvalue|apikey|accesskey|privatekey|token)$", re.I)
ALLOWED_SECRET_KEYS = {"SecretStringTemplate"}  # checked separately: a shape with empty values


def walk(node: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield path, key, value
            yield from walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{path}[{index}]")


def strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value)


def secret_findings(template: dict[str, Any]) -> list[str]:
    findings = []
    for text in strings(template):
        for label, pattern in SECRET_VALUE_PATTERNS.items():
            if pattern.search(text):
                findings.append(f"{label}: {text[:40]}...")
    for path, key, value in walk(template):
        if key in ALLOWED_SECRET_KEYS:
            shape = json.loads(value)
            if any(v != "" for v in shape.values()):
                findings.append(f"{path}/{key} carries values")
        elif SECRET_KEYS.search(key) and isinstance(value, str) and value:
            findings.append(f"{path}/{key} is a literal")
    for _, key, value in walk(template):
        if key == "Environment" and isinstance(value, list):
            for entry in value:
                if isinstance(entry, dict) and "Name" in entry and SECRET_NAME.search(entry["Name"]):
                    findings.append(f"plain environment entry {entry['Name']}")
    return findings


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_no_secret_material_in_templates(synth: Synth, stack: str) -> None:
    assert secret_findings(synth.raw[stack]) == []


@pytest.mark.parametrize(
    "plant",
    [
        lambda c: c["Environment"].append({"Name": "OPENAI_API_KEY", "Value": "x"}),
        lambda c: c["Environment"].append({"Name": "SOME_TOKEN", "Value": "x"}),
        lambda c: c["Environment"].append({"Name": "DB", "Value": "postgresql://u:hunter2@db:5432/x"}),
        lambda c: c["Environment"].append({"Name": "K", "Value": "sk-" + "a" * 40}),
        lambda c: c["Environment"].append({"Name": "AWS", "Value": "AKIAABCDEFGHIJKLMNOP"}),
        lambda c: c.update({"MasterUserPassword": "hunter2hunter2"}),
        lambda c: c["Environment"].append({"Name": "COOKIE", "Value": "ab" * 32}),
    ],
)
def test_scanner_catches_planted_secrets(synth: Synth, plant: Any) -> None:
    template = copy.deepcopy(synth.raw["MacroAiHobbyStack"])
    task = next(r for r in template["Resources"].values() if r["Type"] == "AWS::ECS::TaskDefinition")
    plant(task["Properties"]["ContainerDefinitions"][0])
    assert secret_findings(template)


@pytest.mark.parametrize("stack", [*ENV_STACKS, PREVIEW_STACK])
def test_every_contract_secret_arrives_from_secrets_manager(
    synth: Synth, stack: str, contract: ServiceContract
) -> None:
    (c,) = synth.one(stack, "AWS::ECS::TaskDefinition")["ContainerDefinitions"]
    value_from = {s["Name"]: json.dumps(s["ValueFrom"]) for s in c["Secrets"]}
    secret_ref = (
        '{"Fn::ImportValue": "MacroAiPreviewShared-AppSecretArn"}'
        if stack == PREVIEW_STACK
        else '{"Ref": "ConfigurationAppSecret'
    )
    for name in contract.secrets:
        assert secret_ref in value_from[name], name
        assert f":{name}::" in value_from[name]
    names = {e["Name"] for e in c["Environment"]}
    assert not {n for n in names if SECRET_NAME.search(n)}
    # Secret-looking non-secret settings are injected from Parameter Store, not dropped.
    refresh = value_from["AWS_COGNITO_REFRESH_TOKEN_EXPIRY"]
    assert ":parameter/macro-ai/" in refresh or "ConfigurationSettingAwsCognitoRefreshTokenExpiry" in refresh


def _egress(synth: Synth, stack: str, prefix: str) -> list[dict[str, Any]]:
    resources = synth.raw[stack]["Resources"]
    sg = next(
        k for k, v in resources.items() if k.startswith(prefix) and v["Type"] == "AWS::EC2::SecurityGroup"
    )
    inline = resources[sg]["Properties"].get("SecurityGroupEgress", [])
    separate = [
        v["Properties"]
        for v in resources.values()
        if v["Type"] == "AWS::EC2::SecurityGroupEgress"
        and v["Properties"]["GroupId"] == {"Fn::GetAtt": [sg, "GroupId"]}
    ]
    return inline + separate


@pytest.mark.parametrize("stack", [*ENV_STACKS, PREVIEW_STACK])
def test_tasks_reach_only_https_and_postgres(synth: Synth, stack: str) -> None:
    rules = _egress(synth, stack, "ApiSecurityGroup")
    ports = sorted((r["IpProtocol"], r["FromPort"], r["ToPort"]) for r in rules)
    assert ports == [("tcp", 443, 443), ("tcp", 5432, 5432)]
    postgres = next(r for r in rules if r["FromPort"] == 5432)
    assert postgres.get("CidrIp") != "0.0.0.0/0"


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_alb_reaches_only_its_targets(synth: Synth, stack: str) -> None:
    rules = _egress(synth, stack, "LoadBalancerSecurityGroup")
    assert rules
    assert all(r["FromPort"] == 3040 and "DestinationSecurityGroupId" in r for r in rules)


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_only_load_balancers_are_open_to_the_internet(synth: Synth, stack: str) -> None:
    resources = synth.raw[stack]["Resources"]
    for name, resource in resources.items():
        if resource["Type"] == "AWS::EC2::SecurityGroup":
            for rule in resource["Properties"].get("SecurityGroupIngress", []):
                if rule.get("CidrIp") == "0.0.0.0/0":
                    assert name.startswith("LoadBalancerSecurityGroup"), name
                    assert rule["FromPort"] in (80, 443)
        if resource["Type"] == "AWS::EC2::SecurityGroupIngress":
            assert resource["Properties"].get("CidrIp") != "0.0.0.0/0", name
