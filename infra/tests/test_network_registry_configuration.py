"""Network, registry and configuration constructs."""

from __future__ import annotations

import json

import pytest
from infra_testkit import (
    ADOPTED_STACK,
    ENV_STACKS,
    EXISTING_VPC_STACK,
    OWN_ALB_STACKS,
    PREVIEW_STACK,
    SHARED_STACK,
    Synth,
)
from macro_ai_contract.outputs import DEPLOYED_IMAGE_TAG_PREFIX
from macro_ai_contract.service import ServiceContract
from macro_ai_infra.constructs.configuration import GENERATED_SECRET_KEY, OPERATOR_PARAMETERS
from macro_ai_infra.profiles import registered

REGISTRY_STACKS = (*ENV_STACKS, SHARED_STACK)


@pytest.mark.parametrize("stack", OWN_ALB_STACKS)
def test_own_vpc_has_no_nat_and_no_interface_endpoints(synth: Synth, stack: str) -> None:
    """No profile asks for NAT or interface endpoints: tasks in public subnets, ECR layers via the S3
    gateway endpoint (free)."""
    assert len(synth.resources(stack, "AWS::EC2::VPC")) == 1
    assert not synth.resources(stack, "AWS::EC2::NatGateway")
    assert not synth.resources(stack, "AWS::EC2::EIP")
    endpoints = [e["Properties"] for e in synth.resources(stack, "AWS::EC2::VPCEndpoint").values()]
    assert [e.get("VpcEndpointType", "Gateway") for e in endpoints] == ["Gateway"]
    assert "s3" in json.dumps(endpoints[0]["ServiceName"])
    assert len(synth.resources(stack, "AWS::EC2::FlowLog")) == 1


def test_every_profile_states_why_it_pays_for_nat() -> None:
    for profile in registered().values():
        assert profile.nat_gateways == 0 or profile.nat_reason, profile.key
        assert not profile.vpc_endpoints or profile.nat_gateways, profile.key


@pytest.mark.parametrize("stack", [*ENV_STACKS, PREVIEW_STACK])
def test_tasks_run_public_with_an_ip_and_admit_only_the_load_balancer(synth: Synth, stack: str) -> None:
    service = synth.one(stack, "AWS::ECS::Service")
    network = service["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert network["AssignPublicIp"] == "ENABLED"
    if stack == "MacroAiStagingStack":
        assert all("public" in s["Ref"] for s in network["Subnets"])
    if stack == ADOPTED_STACK:
        assert network["Subnets"] == list(registered()["production"].adopted.vpc.public_subnet_ids)  # type: ignore[union-attr]


def test_existing_vpc_is_imported_without_lookups(variant: Synth) -> None:
    assert not variant.resources(EXISTING_VPC_STACK, "AWS::EC2::VPC")
    assert not variant.resources(EXISTING_VPC_STACK, "AWS::EC2::Subnet")
    subnets = variant.one(EXISTING_VPC_STACK, "AWS::ECS::Service")["NetworkConfiguration"][
        "AwsvpcConfiguration"
    ]["Subnets"]
    assert subnets == ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"]
    groups = variant.resources(EXISTING_VPC_STACK, "AWS::ElasticLoadBalancingV2::TargetGroup").values()
    assert {g["Properties"]["VpcId"] for g in groups} == {"vpc-0123456789abcdef0"}


@pytest.mark.parametrize("stack", REGISTRY_STACKS)
def test_ecr_repository(synth: Synth, stack: str) -> None:
    repo = synth.one(stack, "AWS::ECR::Repository")
    assert repo["ImageTagMutability"] == "IMMUTABLE"
    assert repo["ImageScanningConfiguration"] == {"ScanOnPush": True}
    rules = sorted(
        json.loads(repo["LifecyclePolicy"]["LifecyclePolicyText"])["rules"], key=lambda r: r["rulePriority"]
    )
    # First: every deployed image is selected by a rule that never reaches its count, so no later rule
    # (ECR applies one rule per image, highest priority first) can expire it.
    protect = rules[0]["selection"]
    assert (protect["tagStatus"], protect["tagPrefixList"]) == ("tagged", [DEPLOYED_IMAGE_TAG_PREFIX])
    assert protect["countType"] == "imageCountMoreThan"
    assert protect["countNumber"] >= 100_000
    assert rules[1]["selection"]["tagStatus"] == "untagged"
    assert rules[1]["selection"]["countType"] == "sinceImagePushed"
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
    secret = next(
        s["Properties"]
        for s in synth.resources(stack, "AWS::SecretsManager::Secret").values()
        if s["Properties"]["Name"] == f"macro-ai/{env}/app"
    )
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
    assert all("database" in s["Ref"] for s in subnets), "isolated subnets: no route out, no NAT needed"


def test_app_connects_as_its_own_database_role_not_the_master(synth: Synth) -> None:
    stack = "MacroAiStagingStack"
    config = registered()["staging"].database
    login = next(
        (k, s["Properties"])
        for k, s in synth.resources(stack, "AWS::SecretsManager::Secret").items()
        if k.startswith("DatabaseAppLogin")
    )
    shape = login[1]["GenerateSecretString"]
    assert shape["GenerateStringKey"] == "password"
    assert f'"username":"{config.app_user}"' in json.dumps(shape["SecretStringTemplate"]).replace("\\", "")  # type: ignore[union-attr]
    (c,) = synth.one(stack, "AWS::ECS::TaskDefinition")["ContainerDefinitions"]
    env = {e["Name"]: e["Value"] for e in c["Environment"]}
    assert env["DATABASE_LOGIN_ID"] == {"Ref": login[0]}
    policies = json.dumps(synth.resources(stack, "AWS::IAM::Policy"))
    assert "MasterUserSecret" not in policies, "no role reads the master secret"


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
            if k.startswith("ApiSecurity") and resources[k]["Type"] == "AWS::EC2::SecurityGroup"
        ),
        next(
            k
            for k in resources
            if k.startswith("LegacyFleetSecurityGroup") and resources[k]["Type"] == "AWS::EC2::SecurityGroup"
        ),
    }
