"""Legacy EC2 fleet, monitoring, and cost constructs."""

from __future__ import annotations

import json

import pytest
from infra_testkit import (
    ALL_STACKS,
    ENV_STACKS,
    PREVIEW_STACK,
    SELF_CONTAINED_STACK,
    SHARED_STACK,
    WEIGHTED_STACKS,
    Synth,
)
from macro_ai_infra.constructs.monitoring import DEPLOYMENT_GATES, ROLLOUT_GATES
from macro_ai_infra.profiles import registered

REQUIRED_TAGS = {"project": "macro-ai"}


def user_data(synth: Synth, stack: str) -> str:
    template = synth.one(stack, "AWS::EC2::LaunchTemplate")["LaunchTemplateData"]
    parts = template["UserData"]["Fn::Base64"]
    return parts if isinstance(parts, str) else json.dumps(parts)


@pytest.mark.parametrize("stack", [SELF_CONTAINED_STACK])
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
    # Pinned image: an image-only deploy of the API leaves the fleet's machine image alone.
    assert data["ImageId"] == registered()["staging"].legacy.machine_image_id


@pytest.mark.parametrize("stack", [SELF_CONTAINED_STACK])
def test_legacy_auto_scaling_group(synth: Synth, stack: str) -> None:
    resource = next(iter(synth.resources(stack, "AWS::AutoScaling::AutoScalingGroup").values()))
    rolling = resource["UpdatePolicy"]["AutoScalingRollingUpdate"]
    assert int(rolling["MinInstancesInService"]) >= 1
    asg = resource["Properties"]
    legacy = registered()["staging"].legacy
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
    assert len(names) == len(ROLLOUT_GATES)
    assert set(names) <= set(alarms)
    assert {n for n in names if n.endswith(ROLLOUT_GATES)} == set(names)
    for name in names:
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
    thresholds = registered()[profile].alarms
    alarms = {
        a["Properties"]["AlarmName"]: a["Properties"]
        for a in synth.resources(stack, "AWS::CloudWatch::Alarm").values()
    }
    prefix = f"macro-ai-{registered()[profile].environment}"
    assert alarms[f"{prefix}-ecs-5xx-rate"]["Threshold"] == thresholds.target_5xx_rate_percent
    assert alarms[f"{prefix}-ecs-latency-p99"]["Threshold"] == thresholds.p99_latency_seconds
    assert alarms[f"{prefix}-ecs-latency-p99"]["ExtendedStatistic"] == "p99"
    assert alarms[f"{prefix}-ecs-cpu"]["Threshold"] == thresholds.cpu_percent
    assert alarms[f"{prefix}-elb-5xx"]["MetricName"] == "HTTPCode_ELB_5XX_Count"
    no_healthy = alarms[f"{prefix}-ecs-no-healthy-hosts"]
    assert no_healthy["Threshold"] == 1
    if any(s.max_capacity == 0 for s in registered()[profile].schedules):
        # Asleep at night on purpose: only requests with nobody to serve them are an outage.
        expression = next(m["Expression"] for m in no_healthy["Metrics"] if "Expression" in m)
        assert expression.startswith("IF(FILL(req")
        assert "> 0 AND FILL(ok" in expression
        assert "< 1, 1, 0)" in expression
        used = {m["MetricStat"]["Metric"]["MetricName"] for m in no_healthy["Metrics"] if "MetricStat" in m}
        assert used == {"RequestCount", "HealthyHostCount"}
        assert no_healthy["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    else:
        assert no_healthy["MetricName"] == "HealthyHostCount"
        assert no_healthy["ComparisonOperator"] == "LessThanThreshold"
    assert alarms[f"{prefix}-ecs-connection-errors"]["MetricName"] == "TargetConnectionErrorCount"
    if stack in WEIGHTED_STACKS:
        assert alarms[f"{prefix}-legacy-no-healthy-hosts"]["MetricName"] == "HealthyHostCount"


@pytest.mark.parametrize("stack", [*ENV_STACKS, PREVIEW_STACK])
def test_deploys_roll_back_on_alarms(synth: Synth, stack: str) -> None:
    service = synth.one(stack, "AWS::ECS::Service")
    config = service["DeploymentConfiguration"]
    assert config["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    alarms = config["Alarms"]
    assert alarms["Enable"] is True
    assert alarms["Rollback"] is True
    names = synth.raw[stack]["Outputs"]["RolloutAlarmNames"]["Value"].split(",")
    prefix = names[0].removesuffix(f"-{ROLLOUT_GATES[0]}")
    assert sorted(alarms["AlarmNames"]) == sorted(f"{prefix}-{gate}" for gate in DEPLOYMENT_GATES)


@pytest.mark.parametrize("stack", [*ENV_STACKS, PREVIEW_STACK])
def test_unhandled_errors_are_counted_from_the_logs(synth: Synth, stack: str, contract: object) -> None:
    (flt,) = synth.resources(stack, "AWS::Logs::MetricFilter").values()
    assert flt["Properties"]["FilterPattern"] == f'{{ $.message = "{contract.unhandled_error_message}" }}'  # type: ignore[attr-defined]


@pytest.mark.parametrize("stack", [SELF_CONTAINED_STACK])
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
        "SampleCount",
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
    assert "costalerts.amazonaws.com" in policy
    key = synth.one(stack, "AWS::KMS::Key")
    assert key["EnableKeyRotation"] is True
    assert "cloudwatch.amazonaws.com" in json.dumps(key["KeyPolicy"])


@pytest.mark.parametrize(
    ("stack", "amount", "cost_center"),
    [
        ("MacroAiHobbyStack", registered()["hobby"].budget_monthly_usd, "macro-ai-development"),
        ("MacroAiProductionStack", registered()["production"].budget_monthly_usd, "macro-ai-production"),
        (SHARED_STACK, registered()["preview"].budget_monthly_usd, "macro-ai-preview"),
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
    # Beside each budget: an anomaly monitor on the same cost-allocation tag, alerting the same topic.
    monitor = synth.one(stack, "AWS::CE::AnomalyMonitor")
    assert json.loads(monitor["MonitorSpecification"])["Tags"]["Values"] == [cost_center]
    subscription = synth.one(stack, "AWS::CE::AnomalySubscription")
    assert subscription["Subscribers"][0]["Type"] == "SNS"
    assert subscription["Frequency"] == "IMMEDIATE"


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
