"""Network, registry and configuration constructs."""

from __future__ import annotations

import json

import pytest
from infra_testkit import ENV_STACKS, EXISTING_VPC_STACK, PREVIEW_STACK, SHARED_STACK, Synth
from macro_ai_contract.service import ServiceContract
from macro_ai_infra.constructs.configuration import GENERATED_SECRET_KEY, OPERATOR_PARAMETERS

NETWORK_STACKS = (*ENV_STACKS, SHARED_STACK)


@pytest.mark.parametrize(
    ("stack", "nat", "endpoints"),
    [
        ("MacroAiHobbyStack", 0, False),
        ("MacroAiStagingStack", 1, True),
        ("MacroAiProductionStack", 2, True),
        (SHARED_STACK, 0, False),
    ],
)
def test_vpc_nat_and_endpoints(synth: Synth, stack: str, nat: int, endpoints: bool) -> None:
    assert len(synth.resources(stack, "AWS::EC2::VPC")) == 1
    assert len(synth.resources(stack, "AWS::EC2::NatGateway")) == nat
    interface = [
        e
        for e in synth.resources(stack, "AWS::EC2::VPCEndpoint").values()
        if e["Properties"].get("VpcEndpointType") == "Interface"
    ]
    assert len(interface) == (5 if endpoints else 0)
    gateways = [
        e
        for e in synth.resources(stack, "AWS::EC2::VPCEndpoint").values()
        if e["Properties"].get("VpcEndpointType", "Gateway") == "Gateway"
    ]
    assert len(gateways) == (1 if nat else 0)
    assert len(synth.resources(stack, "AWS::EC2::FlowLog")) == 1


@pytest.mark.parametrize("stack", [*ENV_STACKS, PREVIEW_STACK])
def test_tasks_are_private_exactly_when_there_is_nat(synth: Synth, stack: str) -> None:
    service = synth.one(stack, "AWS::ECS::Service")
    public_ip = service["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"]
    has_nat = stack in ("MacroAiStagingStack", "MacroAiProductionStack")
    assert public_ip == ("DISABLED" if has_nat else "ENABLED")
    subnets = service["NetworkConfiguration"]["AwsvpcConfiguration"]["Subnets"]
    if stack != PREVIEW_STACK:
        assert all(("private" in s["Ref"]) == has_nat for s in subnets)


def test_existing_vpc_is_imported_without_lookups(variant: Synth) -> None:
    assert not variant.resources(EXISTING_VPC_STACK, "AWS::EC2::VPC")
    assert not variant.resources(EXISTING_VPC_STACK, "AWS::EC2::Subnet")
    subnets = variant.one(EXISTING_VPC_STACK, "AWS::ECS::Service")["NetworkConfiguration"][
        "AwsvpcConfiguration"
    ]["Subnets"]
    assert subnets == ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"]
    assert (
        variant.one(EXISTING_VPC_STACK, "AWS::ElasticLoadBalancingV2::TargetGroup")["VpcId"]
        == "vpc-0123456789abcdef0"
    )


@pytest.mark.parametrize("stack", NETWORK_STACKS)
def test_ecr_repository(synth: Synth, stack: str) -> None:
    repo = synth.one(stack, "AWS::ECR::Repository")
    assert repo["ImageTagMutability"] == "IMMUTABLE"
    assert repo["ImageScanningConfiguration"] == {"ScanOnPush": True}
    rules = json.loads(repo["LifecyclePolicy"]["LifecyclePolicyText"])["rules"]
    assert rules[0]["selection"]["tagStatus"] == "untagged"
    assert rules[0]["selection"]["countType"] == "sinceImagePushed"
    assert rules[-1]["selection"]["tagStatus"] == "any"
    assert rules[-1]["selection"]["countType"] == "imageCountMoreThan"
    assert repo["RepositoryName"].startswith("macro-ai-api-")


def test_production_keeps_its_repository_and_previews_do_not(synth: Synth) -> None:
    prod = synth.raw["MacroAiProductionStack"]["Resources"]
    (repo,) = [r for r in prod.values() if r["Type"] == "AWS::ECR::Repository"]
    assert repo["DeletionPolicy"] == "Retain"
    shared = [r for r in synth.raw[SHARED_STACK]["Resources"].values() if r["Type"] == "AWS::ECR::Repository"]
    assert shared[0]["DeletionPolicy"] == "Delete"


@pytest.mark.parametrize(
    ("stack", "env"),
    [
        ("MacroAiHobbyStack", "development"),
        ("MacroAiStagingStack", "staging"),
        ("MacroAiProductionStack", "production"),
        (SHARED_STACK, "preview"),
    ],
)
def test_parameter_hierarchy_and_app_secret(
    synth: Synth, stack: str, env: str, contract: ServiceContract
) -> None:
    params = synth.resources(stack, "AWS::SSM::Parameter")
    names = {p["Properties"]["Name"] for p in params.values()}
    assert names, "settings are mirrored to Parameter Store"
    assert all(n.startswith(f"/macro-ai/{env}/") for n in names)
    assert not {n.rsplit("/", 1)[1] for n in names} & set(contract.secrets), "no secret in Parameter Store"
    assert not {n.rsplit("/", 1)[1] for n in names} & set(OPERATOR_PARAMETERS), "operator-owned: referenced"
    secret = synth.one(stack, "AWS::SecretsManager::Secret")
    assert secret["Name"] == f"macro-ai/{env}/app"
    generator = secret["GenerateSecretString"]
    assert generator["GenerateStringKey"] == GENERATED_SECRET_KEY
    assert generator["PasswordLength"] == 64
    shape = json.loads(generator["SecretStringTemplate"])
    assert set(shape) | {GENERATED_SECRET_KEY} == set(contract.secrets)
    assert all(value == "" for value in shape.values())


def test_operator_parameters_are_injected_from_parameter_store(synth: Synth) -> None:
    (c,) = synth.one("MacroAiHobbyStack", "AWS::ECS::TaskDefinition")["ContainerDefinitions"]
    secrets = {s["Name"]: json.dumps(s["ValueFrom"]) for s in c["Secrets"]}
    for name in OPERATOR_PARAMETERS:
        assert f":parameter/macro-ai/development/{name}" in secrets[name]
    for name in ("API_KEY", "RELATIONAL_DATABASE_URL"):
        assert f":{name}::" in secrets[name]


def test_rds_only_where_the_profile_asks(synth: Synth) -> None:
    for stack in ("MacroAiHobbyStack", "MacroAiProductionStack", SHARED_STACK, PREVIEW_STACK):
        assert not synth.resources(stack, "AWS::RDS::DBInstance")
    db = synth.one("MacroAiStagingStack", "AWS::RDS::DBInstance")
    assert db["Engine"] == "postgres"
    assert db["ManageMasterUserPassword"] is True
    assert "MasterUserPassword" not in db
    assert db["StorageEncrypted"] is True
    assert db["PubliclyAccessible"] is False
    assert db["DeletionProtection"] is True
    assert db["BackupRetentionPeriod"] >= 7
    subnets = synth.one("MacroAiStagingStack", "AWS::RDS::DBSubnetGroup")["SubnetIds"]
    assert len(subnets) == 2
    assert all("private" in s["Ref"] for s in subnets)


def test_database_reachable_only_from_tasks_and_legacy(synth: Synth) -> None:
    stack = "MacroAiStagingStack"
    resources = synth.raw[stack]["Resources"]
    db_sg = next(
        k
        for k in resources
        if k.startswith("DatabaseSecurityGroup") and resources[k]["Type"] == "AWS::EC2::SecurityGroup"
    )
    ingress = [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::EC2::SecurityGroupIngress"
        and r["Properties"]["GroupId"] == {"Fn::GetAtt": [db_sg, "GroupId"]}
    ]
    sources = {i["SourceSecurityGroupId"]["Fn::GetAtt"][0] for i in ingress}
    assert all(i["FromPort"] == 5432 and i["ToPort"] == 5432 for i in ingress)
    assert sources == {
        next(
            k
            for k in resources
            if k.startswith("ApiSecurityGroup") and resources[k]["Type"] == "AWS::EC2::SecurityGroup"
        ),
        next(
            k
            for k in resources
            if k.startswith("LegacyFleetSecurityGroup") and resources[k]["Type"] == "AWS::EC2::SecurityGroup"
        ),
    }
