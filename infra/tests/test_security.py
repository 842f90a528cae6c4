"""Secret material and network exposure, checked on every synthesized template."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from infra_testkit import ADOPTED_STACK, ALL_STACKS, ENV_STACKS, OWN_ALB_STACKS, PREVIEW_STACK, Synth
from macro_ai_contract.service import ServiceContract
from macro_ai_infra.profile import ExternalDatabase, Profile, SecurityGroupDatabase
from macro_ai_infra.profiles import registered

TASK_STACKS = {
    "MacroAiHobbyStack": "hobby",
    "MacroAiStagingStack": "staging",
    "MacroAiProductionStack": "production",
    PREVIEW_STACK: "preview",
}
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
# Checked separately: a shape whose values are empty (or, for a database login, its non-secret address).
ALLOWED_SECRET_KEYS = {"SecretStringTemplate", "SecretString"}
LOGIN_SHAPE_KEYS = {"username", "host", "port", "dbname"}


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
            if not isinstance(value, str):  # a token (Fn::Join): the login shape, checked by its parts
                text = json.dumps(value)
                if not all(f'\\"{k}\\"' in text for k in ("username", "host")) or "password" in text:
                    findings.append(f"{path}/{key} is not a login shape")
                continue
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
def test_every_contract_secret_arrives_from_secrets_manager_or_an_adopted_parameter(
    synth: Synth, stack: str, contract: ServiceContract
) -> None:
    (c,) = synth.one(stack, "AWS::ECS::TaskDefinition")["ContainerDefinitions"]
    value_from = {s["Name"]: json.dumps(s["ValueFrom"]) for s in c["Secrets"]}
    secret_ref = (
        '{"Fn::ImportValue": "MacroAiPreviewShared-AppSecretArn"}'
        if stack == PREVIEW_STACK
        else '{"Ref": "ConfigurationAppSecret'
    )
    adopted = dict(registered()["production"].adopted.existing_parameters) if stack == ADOPTED_STACK else {}  # type: ignore[union-attr]
    for name in contract.secrets:
        if name in adopted:
            assert f":parameter{adopted[name]}" in value_from[name], name
            continue
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


def _database_rule(profile: Profile, rules: list[dict[str, Any]], stack: str, synth: Synth) -> set[str]:
    """What the task's database egress must be, from the profile's declaration alone."""
    db = profile.database
    if isinstance(db, ExternalDatabase):
        return {json.dumps({"CidrIp": cidr, "port": db.port}) for cidr in db.cidrs}
    if isinstance(db, SecurityGroupDatabase):
        return {json.dumps({"DestinationSecurityGroupId": db.security_group_id, "port": db.port})}
    resources = synth.raw[stack]["Resources"]
    sg = next(
        k
        for k, v in resources.items()
        if k.startswith("DatabaseSecurityGroup") and v["Type"] == "AWS::EC2::SecurityGroup"
    )
    return {json.dumps({"DestinationSecurityGroupId": {"Fn::GetAtt": [sg, "GroupId"]}, "port": db.port})}


def _as_peer(rule: dict[str, Any]) -> str:
    peer = {k: rule[k] for k in ("CidrIp", "DestinationSecurityGroupId") if k in rule}
    return json.dumps({**peer, "port": rule["FromPort"]})


@pytest.mark.parametrize(("stack", "key"), [*TASK_STACKS.items()])
def test_tasks_reach_their_declared_database_and_nothing_broader(synth: Synth, stack: str, key: str) -> None:
    profile = registered()[key]
    rules = _egress(synth, stack, "ApiSecurity")
    https = [r for r in rules if r["FromPort"] == 443]
    assert https == [r for r in rules if r.get("CidrIp") == "0.0.0.0/0" and r["FromPort"] == 443]
    assert len(https) == 1
    assert https[0]["ToPort"] == 443
    database = [r for r in rules if r["FromPort"] != 443]
    assert all(r["IpProtocol"] == "tcp" and r["FromPort"] == r["ToPort"] for r in database)
    assert {_as_peer(r) for r in database} == _database_rule(profile, rules, stack, synth)


def test_the_database_check_catches_a_broader_rule(synth: Synth) -> None:
    profile = replace(
        registered()["staging"], database=ExternalDatabase(host="db.example", cidrs=("203.0.113.0/24",))
    )
    rules = _egress(synth, "MacroAiStagingStack", "ApiSecurity")
    database = [r for r in rules if r["FromPort"] != 443]
    assert {_as_peer(r) for r in database} != _database_rule(profile, rules, "MacroAiStagingStack", synth)


@pytest.mark.parametrize("stack", OWN_ALB_STACKS)
def test_alb_reaches_only_its_targets(synth: Synth, stack: str) -> None:
    rules = _egress(synth, stack, "LoadBalancerSecurityGroup")
    assert rules
    assert all(r["FromPort"] == 3040 and r["ToPort"] == 3040 for r in rules)
    assert all("DestinationSecurityGroupId" in r or r.get("CidrIp", "").startswith("10.") for r in rules)


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
