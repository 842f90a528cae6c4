"""Service construct: task definition from the contract, ECS service deploy settings, autoscaling."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match
from infra_testkit import ENV_STACKS, PREVIEW_STACK, Synth
from macro_ai_contract.service import ServiceContract
from macro_ai_infra.profile import StackDatabase
from macro_ai_infra.profiles import registered

SERVICE_STACKS = (*ENV_STACKS, PREVIEW_STACK)
PROFILE_OF = {
    "MacroAiHobbyStack": registered()["hobby"],
    "MacroAiStagingStack": registered()["staging"],
    "MacroAiProductionStack": registered()["production"],
    PREVIEW_STACK: registered()["preview"],
}


def container(synth: Synth, stack: str) -> dict[str, Any]:
    (definition,) = synth.one(stack, "AWS::ECS::TaskDefinition")["ContainerDefinitions"]
    return definition


@pytest.mark.parametrize("stack", SERVICE_STACKS)
def test_task_definition_is_arm64_fargate_sized_by_profile(synth: Synth, stack: str) -> None:
    task = synth.one(stack, "AWS::ECS::TaskDefinition")
    profile = PROFILE_OF[stack]
    assert task["RuntimePlatform"] == {"CpuArchitecture": "ARM64", "OperatingSystemFamily": "LINUX"}
    assert task["RequiresCompatibilities"] == ["FARGATE"]
    assert task["NetworkMode"] == "awsvpc"
    assert (task["Cpu"], task["Memory"]) == (str(profile.cpu), str(profile.memory_mib))
    assert task["Volumes"] == [{"Name": "tmp"}]


@pytest.mark.parametrize("stack", SERVICE_STACKS)
def test_container_follows_the_contract(synth: Synth, stack: str, contract: ServiceContract) -> None:
    c = container(synth, stack)
    assert c["PortMappings"][0]["ContainerPort"] == contract.port
    assert c["ReadonlyRootFilesystem"] is True
    assert c["MountPoints"] == [{"ContainerPath": "/tmp", "ReadOnly": False, "SourceVolume": "tmp"}]
    assert c["LinuxParameters"]["InitProcessEnabled"] is True
    assert c["StopTimeout"] == contract.stop_timeout_seconds
    assert c["StopTimeout"] > contract.drain_seconds
    command = c["HealthCheck"]["Command"]
    assert command[:3] == ["CMD", "python", "-c"]
    assert f"http://127.0.0.1:{contract.port}{contract.container_check_path}" in command[3]
    assert "curl" not in " ".join(command)
    assert c["LogConfiguration"]["LogDriver"] == "awslogs"
    assert c["LogConfiguration"]["Options"]["mode"] == "non-blocking"


@pytest.mark.parametrize("stack", SERVICE_STACKS)
def test_image_is_the_ecr_repository_at_the_image_tag_parameter(synth: Synth, stack: str) -> None:
    parts = container(synth, stack)["Image"]["Fn::Join"][1]
    assert parts[-2:] == [":", {"Ref": "ImageTag"}]


@pytest.mark.parametrize("stack", SERVICE_STACKS)
def test_environment_and_secrets_split(synth: Synth, stack: str, contract: ServiceContract) -> None:
    c = container(synth, stack)
    env_names = {e["Name"] for e in c["Environment"]}
    secret_names = {s["Name"] for s in c["Secrets"]}
    assert env_names | secret_names == set(contract.environment) | set(contract.secrets)
    assert set(contract.secrets) <= secret_names
    assert not env_names & secret_names
    env = {e["Name"]: e["Value"] for e in c["Environment"]}
    assert env["TRUSTED_PROXY_HOPS"] == "1"
    if stack == PREVIEW_STACK:
        assert env["APP_ENV"] == "pr-42"
        assert env["CORS_ALLOWED_ORIGINS"] == "https://pr-42.macro-ai.example.com"


@pytest.mark.parametrize("stack", SERVICE_STACKS)
def test_service_deploys_safely(synth: Synth, stack: str) -> None:
    service = synth.one(stack, "AWS::ECS::Service")
    deploy = service["DeploymentConfiguration"]
    assert deploy["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    assert (deploy["MinimumHealthyPercent"], deploy["MaximumPercent"]) == (100, 200)
    assert service["HealthCheckGracePeriodSeconds"] == PROFILE_OF[stack].health_check_grace_seconds
    assert "DesiredCount" not in service, "autoscaling owns the desired count; a deploy must not reset it"
    assert service["LoadBalancers"][0]["ContainerPort"] == 3040


@pytest.mark.parametrize("stack", SERVICE_STACKS)
def test_capacity_spot_where_the_profile_allows_interruptions(synth: Synth, stack: str) -> None:
    providers = {
        s["CapacityProvider"] for s in synth.one(stack, "AWS::ECS::Service")["CapacityProviderStrategy"]
    }
    assert providers == ({"FARGATE_SPOT"} if PROFILE_OF[stack].spot else {"FARGATE"})
    assert PROFILE_OF[stack].spot == (stack != "MacroAiProductionStack")


@pytest.mark.parametrize("stack", SERVICE_STACKS)
def test_autoscaling(synth: Synth, stack: str) -> None:
    profile = PROFILE_OF[stack]
    target = synth.one(stack, "AWS::ApplicationAutoScaling::ScalableTarget")
    assert (target["MinCapacity"], target["MaxCapacity"]) == (profile.min_capacity, profile.max_capacity)
    policies = [
        p["Properties"] for p in synth.resources(stack, "AWS::ApplicationAutoScaling::ScalingPolicy").values()
    ]
    metrics = {
        p["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"]["PredefinedMetricType"]
        for p in policies
        if p["PolicyType"] == "TargetTrackingScaling"
    }
    expected = {"ECSServiceAverageCPUUtilization", "ECSServiceAverageMemoryUtilization"}
    if profile.requests_per_target:
        expected.add("ALBRequestCountPerTarget")
    assert metrics == expected
    scheduled = {a["ScheduledActionName"]: a for a in target.get("ScheduledActions", [])}
    assert set(scheduled) == {s.name for s in profile.schedules}
    predictive = [p for p in policies if p["PolicyType"] == "PredictiveScaling"]
    assert len(predictive) == (1 if profile.predictive else 0)
    if profile.predictive:
        config = predictive[0]["PredictiveScalingPolicyConfiguration"]
        assert config["Mode"] == ("ForecastOnly" if profile.predictive.forecast_only else "ForecastAndScale")
        (spec,) = config["MetricSpecifications"]
        assert spec["PredefinedMetricPairSpecification"]["PredefinedMetricType"] == "ECSServiceCPUUtilization"


def test_predictive_scaling_switches_to_forecast_and_scale_by_profile(contract: ServiceContract) -> None:
    from dataclasses import replace

    from aws_cdk import App
    from aws_cdk.assertions import Template
    from macro_ai_infra.profile import PredictiveScaling
    from macro_ai_infra.stacks.environment import EnvironmentStack

    app = App()
    grown = replace(registered()["production"], predictive=PredictiveScaling(forecast_only=False)).validate()
    template = Template.from_stack(EnvironmentStack(app, profile=grown, contract=contract))
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {"PredictiveScalingPolicyConfiguration": Match.object_like({"Mode": "ForecastAndScale"})},
    )


def test_hobby_sleeps_at_night_and_weekends(synth: Synth) -> None:
    target = synth.one("MacroAiHobbyStack", "AWS::ApplicationAutoScaling::ScalableTarget")
    actions = {a["ScheduledActionName"]: a for a in target["ScheduledActions"]}
    assert actions["WorkdayStop"]["ScalableTargetAction"] == {"MinCapacity": 0, "MaxCapacity": 0}
    assert actions["WorkdayStart"]["Schedule"] == "cron(0 7 ? * MON-FRI *)"


def test_previews_scale_to_zero_outside_working_hours(synth: Synth) -> None:
    target = synth.one(PREVIEW_STACK, "AWS::ApplicationAutoScaling::ScalableTarget")
    actions = {a["ScheduledActionName"]: a for a in target["ScheduledActions"]}
    stop = actions["WorkdayStop"]
    assert stop["ScalableTargetAction"] == {"MinCapacity": 0, "MaxCapacity": 0}
    assert stop["Schedule"] == "cron(0 19 ? * MON-FRI *)"
    assert actions["WorkdayStart"]["ScalableTargetAction"]["MinCapacity"] == 1


def test_request_count_scaling_is_wired_to_the_ecs_target_group(synth: Synth) -> None:
    synth.templates["MacroAiProductionStack"].has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "TargetTrackingScalingPolicyConfiguration": {
                "PredefinedMetricSpecification": {
                    "PredefinedMetricType": "ALBRequestCountPerTarget",
                    "ResourceLabel": Match.any_value(),
                },
                "TargetValue": registered()["production"].requests_per_target,
            }
        },
    )


def test_production_runs_the_measured_size_on_a_floor_of_one_task_per_zone(synth: Synth) -> None:
    """Production's size comes from the measured capacity (deploy/tests/test_cost_sizing_rule.py holds the
    profile to the rule); the template carries it, with 2 tasks at least (availability: one per zone), no
    business-hours floor, and predictive scaling beside target tracking."""
    task = synth.one("MacroAiProductionStack", "AWS::ECS::TaskDefinition")
    assert (task["Cpu"], task["Memory"]) == ("256", "512")
    assert task["RuntimePlatform"]["CpuArchitecture"] == "ARM64"
    target = synth.one("MacroAiProductionStack", "AWS::ApplicationAutoScaling::ScalableTarget")
    assert target["MinCapacity"] == 2
    assert "ScheduledActions" not in target
    kinds = [
        p["Properties"]["PolicyType"]
        for p in synth.resources(
            "MacroAiProductionStack", "AWS::ApplicationAutoScaling::ScalingPolicy"
        ).values()
    ]
    assert sorted(set(kinds)) == ["PredictiveScaling", "TargetTrackingScaling"]
    subnets = synth.one("MacroAiProductionStack", "AWS::ECS::Service")["NetworkConfiguration"][
        "AwsvpcConfiguration"
    ]["Subnets"]
    assert len(subnets) >= target["MinCapacity"]  # ECS spreads the floor over the zones


@pytest.mark.parametrize("stack", SERVICE_STACKS)
def test_cluster_offers_fargate_and_spot(synth: Synth, stack: str) -> None:
    # Container Insights per profile: test_api_metrics_monitoring.py.
    owner = "MacroAiPreviewSharedStack" if stack in (PREVIEW_STACK, "MacroAiHobbyStack") else stack
    association = synth.one(owner, "AWS::ECS::ClusterCapacityProviderAssociations")
    assert set(association["CapacityProviders"]) == {"FARGATE", "FARGATE_SPOT"}


@pytest.mark.parametrize("stack", SERVICE_STACKS)
def test_log_group_retention(synth: Synth, stack: str) -> None:
    groups = [
        g["Properties"]
        for g in synth.resources(stack, "AWS::Logs::LogGroup").values()
        if g["Properties"].get("LogGroupName", "").endswith("/api")
    ]
    assert len(groups) == 1
    assert groups[0]["RetentionInDays"] == PROFILE_OF[stack].log_retention_days


def _statements(synth: Synth, stack: str, role_prefix: str) -> list[dict[str, Any]]:
    policies = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for name, p in synth.resources(stack, "AWS::IAM::Policy").items()
        if name.startswith(role_prefix)
    ]
    return [s for statements in policies for s in statements]


@pytest.mark.parametrize("stack", SERVICE_STACKS)
def test_roles_are_least_privilege(synth: Synth, stack: str) -> None:
    task = _statements(synth, stack, "ApiTaskTaskRole")
    actions = {a for s in task for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert actions <= {
        "ssm:GetParametersByPath",
        "ssm:GetParameters",
        "ssm:GetParameter",
        "secretsmanager:GetSecretValue",
        "secretsmanager:DescribeSecret",
    }
    execution = _statements(synth, stack, "ApiTaskExecutionRole")
    wildcard = [s for s in execution if s["Resource"] == "*"]
    assert [s["Action"] for s in wildcard] == ["ecr:GetAuthorizationToken"]
    for s in task + execution:
        assert not any(
            str(a).endswith(":*") for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
        )


@pytest.mark.parametrize("stack", SERVICE_STACKS)
def test_database_login_is_the_app_roles_secret(synth: Synth, stack: str) -> None:
    """Where the stack owns the database (staging), the API reads the login of its own role (never the
    master's); elsewhere the variable is empty (the API ignores empty values)."""
    env = {e["Name"]: e["Value"] for e in container(synth, stack)["Environment"]}
    readable = json.dumps(_statements(synth, stack, "ApiTaskTaskRole"))
    if not isinstance(PROFILE_OF[stack].database, StackDatabase):
        assert env["DATABASE_LOGIN_ID"] == ""
        assert "DatabaseAppLogin" not in readable
    else:
        assert env["DATABASE_LOGIN_ID"]["Ref"].startswith("DatabaseAppLogin")
        assert env["DATABASE_LOGIN_ID"]["Ref"] in readable
        assert "MasterUserSecret" not in readable
