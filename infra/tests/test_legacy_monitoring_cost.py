"""Legacy EC2 fleet, monitoring, and cost constructs."""

from __future__ import annotations

import json

import pytest
from infra_testkit import ALL_STACKS, ENV_STACKS, PREVIEW_STACK, SHARED_STACK, Synth
from macro_ai_infra.profiles import PROFILES

REQUIRED_TAGS = {"project": "macro-ai"}


def user_data(synth: Synth, stack: str) -> str:
    template = synth.one(stack, "AWS::EC2::LaunchTemplate")["LaunchTemplateData"]
    parts = template["UserData"]["Fn::Base64"]
    return parts if isinstance(parts, str) else json.dumps(parts)


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_legacy_launch_template(synth: Synth, stack: str) -> None:
    data = synth.one(stack, "AWS::EC2::LaunchTemplate")["LaunchTemplateData"]
    assert data["MetadataOptions"]["HttpTokens"] == "required"
    assert data["BlockDeviceMappings"][0]["Ebs"]["Encrypted"] is True
    script = user_data(synth, stack)
    for needle in (
        "dnf install -y nodejs20",
        "npm-20 ci --omit=dev",
        "systemctl enable --now macro-ai-api",
        "get-parameters-by-path",
        "secretsmanager get-secret-value",
        "/usr/bin/node-20 dist/index.js",
    ):
        assert needle in script, needle


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_legacy_auto_scaling_group(synth: Synth, stack: str) -> None:
    asg = synth.one(stack, "AWS::AutoScaling::AutoScalingGroup")
    legacy = PROFILES["production" if "Production" in stack else "hobby"].legacy
    assert (int(asg["MinSize"]), int(asg["MaxSize"])) == (legacy.min_size, legacy.max_size)
    assert asg["HealthCheckType"] == "ELB"
    assert asg["TargetGroupARNs"][0]["Ref"].startswith("LegacyFleetTargetGroup")
    assert asg["NotificationConfigurations"]
    groups = synth.resources(stack, "AWS::ElasticLoadBalancingV2::TargetGroup")
    tg = next(v["Properties"] for k, v in groups.items() if k.startswith("LegacyFleetTargetGroup"))
    assert tg["TargetType"] == "instance"
    assert tg["HealthCheckPath"] == legacy.health_check_path


@pytest.mark.parametrize("stack", [*ENV_STACKS, PREVIEW_STACK])
def test_rollout_alarms_exported_by_name(synth: Synth, stack: str) -> None:
    names = synth.raw[stack]["Outputs"]["RolloutAlarmNames"]["Value"].split(",")
    alarms = {
        a["Properties"]["AlarmName"]: a["Properties"]
        for a in synth.resources(stack, "AWS::CloudWatch::Alarm").values()
    }
    assert len(names) == 3
    assert set(names) <= set(alarms)
    assert {n.rsplit("-", 2)[-2] + "-" + n.rsplit("-", 2)[-1] for n in names} == {
        "5xx-rate",
        "latency-p99",
        "unhealthy-hosts",
    }
    for name in names:
        assert "-ecs-" in name
        alarm = alarms[name]
        assert alarm["AlarmActions"]
        assert alarm["OKActions"]
        assert alarm["TreatMissingData"] == "notBreaching"


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_alarm_thresholds_come_from_the_profile(synth: Synth, stack: str) -> None:
    profile = {
        "MacroAiHobbyStack": "hobby",
        "MacroAiStagingStack": "staging",
        "MacroAiProductionStack": "production",
    }[stack]
    thresholds = PROFILES[profile].alarms
    alarms = {
        a["Properties"]["AlarmName"]: a["Properties"]
        for a in synth.resources(stack, "AWS::CloudWatch::Alarm").values()
    }
    prefix = f"macro-ai-{PROFILES[profile].environment}"
    assert alarms[f"{prefix}-ecs-5xx-rate"]["Threshold"] == thresholds.target_5xx_rate_percent
    assert alarms[f"{prefix}-ecs-latency-p99"]["Threshold"] == thresholds.p99_latency_seconds
    assert alarms[f"{prefix}-ecs-latency-p99"]["ExtendedStatistic"] == "p99"
    assert alarms[f"{prefix}-ecs-cpu"]["Threshold"] == thresholds.cpu_percent
    assert f"{prefix}-legacy-5xx-rate" in alarms


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_dashboard_covers_both_fleets(synth: Synth, stack: str) -> None:
    body = json.dumps(synth.one(stack, "AWS::CloudWatch::Dashboard")["DashboardBody"])
    for needle in (
        "RequestCount",
        "HTTPCode_Target_5XX_Count",
        "TargetResponseTime",
        "p50",
        "p99",
        "HealthyHostCount",
        "UnHealthyHostCount",
        "CPUUtilization",
        "MemoryUtilization",
        "RunningTaskCount",
        "legacy EC2",
    ):
        assert needle in body, needle


@pytest.mark.parametrize("stack", [*ENV_STACKS, SHARED_STACK])
def test_alarm_topic_encrypted_and_tls_only(synth: Synth, stack: str) -> None:
    topic = synth.one(stack, "AWS::SNS::Topic")
    assert topic["KmsMasterKeyId"]["Fn::GetAtt"][0].startswith("AlarmsKey")
    policy = json.dumps(synth.one(stack, "AWS::SNS::TopicPolicy"))
    assert "aws:SecureTransport" in policy
    assert "budgets.amazonaws.com" in policy
    key = synth.one(stack, "AWS::KMS::Key")
    assert key["EnableKeyRotation"] is True
    assert "cloudwatch.amazonaws.com" in json.dumps(key["KeyPolicy"])


@pytest.mark.parametrize(
    ("stack", "amount", "cost_center"),
    [
        ("MacroAiHobbyStack", PROFILES["hobby"].budget_monthly_usd, "macro-ai-development"),
        ("MacroAiProductionStack", 500, "macro-ai-production"),
        (SHARED_STACK, 100, "macro-ai-preview"),
    ],
)
def test_budget(synth: Synth, stack: str, amount: int, cost_center: str) -> None:
    budget = synth.one(stack, "AWS::Budgets::Budget")
    data = budget["Budget"]
    assert data["BudgetLimit"] == {"Amount": amount, "Unit": "USD"}
    assert data["TimeUnit"] == "MONTHLY"
    assert data["CostFilters"] == {"TagKeyValue": [f"user:cost-center${cost_center}"]}
    kinds = {
        (n["Notification"]["NotificationType"], n["Notification"]["Threshold"])
        for n in budget["NotificationsWithSubscribers"]
    }
    assert ("FORECASTED", 100) in kinds
    assert ("ACTUAL", 80) in kinds
    assert all(
        n["Subscribers"][0]["SubscriptionType"] == "SNS" for n in budget["NotificationsWithSubscribers"]
    )


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_cost_allocation_tags_on_every_taggable_resource(synth: Synth, stack: str) -> None:
    environment = (
        "preview"
        if "Preview" in stack
        else {
            "MacroAiHobbyStack": "development",
            "MacroAiStagingStack": "staging",
            "MacroAiProductionStack": "production",
        }[stack]
    )
    expected = {"project": "macro-ai", "environment": environment, "cost-center": f"macro-ai-{environment}"}
    if stack == PREVIEW_STACK:
        expected |= {"macro-ai:preview": "pr-42", "macro-ai:expires-at": "2030-01-01T12:00:00Z"}
    tagged = 0
    for name, resource in synth.raw[stack]["Resources"].items():
        tags = resource.get("Properties", {}).get("Tags")
        if tags is None:
            continue
        if isinstance(tags, list):
            found = {
                t["Key"]: t["Value"] for t in tags if "PropagateAtLaunch" not in t or t["PropagateAtLaunch"]
            }
        else:
            found = tags
        assert expected.items() <= found.items(), name
        tagged += 1
    assert tagged > 5
