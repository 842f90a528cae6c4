"""The AWS-side safety net: its handler against the moto server (ELBv2 weights, target health and SSM are
faithful there), and the rule, function and policy in the synthesized templates."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from infra_testkit import ADOPTED_STACK, SELF_CONTAINED_STACK, Synth
from macro_ai_contract.outputs import migration_record_parameter
from macro_ai_devstack.testing import moto_server
from macro_ai_infra.constructs.monitoring import ROLLOUT_GATES
from macro_ai_infra.safety_net.handler import handle

REGION = "us-east-1"
RECORD = migration_record_parameter("MacroAiTestStack")
NOW = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


@dataclass
class Platform:
    elbv2: Any
    ssm: Any
    ec2: Any
    listener: str
    rule: str
    legacy: str
    ecs: str


def _client(service: str, endpoint: str) -> Any:
    return boto3.client(
        service, region_name=REGION, endpoint_url=endpoint, aws_access_key_id="x", aws_secret_access_key="x"
    )


@pytest.fixture
def platform(endpoint: str) -> Platform:
    requests_ = __import__("urllib.request").request
    requests_.urlopen(requests_.Request(f"{endpoint}/moto-api/reset", method="POST")).read()
    ec2, elbv2, ssm = (_client(s, endpoint) for s in ("ec2", "elbv2", "ssm"))
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{z}")["Subnet"][
            "SubnetId"
        ]
        for i, z in enumerate("ab")
    ]
    lb = elbv2.create_load_balancer(Name="old", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    legacy, ecs = (
        elbv2.create_target_group(Name=n, Protocol="HTTP", Port=3040, VpcId=vpc, TargetType=t)[
            "TargetGroups"
        ][0]["TargetGroupArn"]
        for n, t in (("legacy", "instance"), ("ecs", "ip"))
    )
    listener = elbv2.create_listener(
        LoadBalancerArn=lb,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": legacy}],
    )["Listeners"][0]["ListenerArn"]
    rule = elbv2.create_rule(
        ListenerArn=listener,
        Priority=1,
        Conditions=[{"Field": "path-pattern", "Values": ["/*"]}],
        Actions=[_weighted(legacy, 75, ecs, 25)],
    )["Rules"][0]["RuleArn"]
    return Platform(elbv2, ssm, ec2, listener, rule, legacy, ecs)


def _weighted(legacy: str, legacy_weight: int, ecs: str, ecs_weight: int) -> dict[str, Any]:
    return {
        "Type": "forward",
        "ForwardConfig": {
            "TargetGroups": [
                {"TargetGroupArn": legacy, "Weight": legacy_weight},
                {"TargetGroupArn": ecs, "Weight": ecs_weight},
            ]
        },
    }


def _healthy_legacy(p: Platform) -> None:
    image = p.ec2.describe_images()["Images"][0]["ImageId"]
    instance = p.ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    p.elbv2.register_targets(TargetGroupArn=p.legacy, Targets=[{"Id": instance}])


def _alarm(state: str = "ALARM") -> dict[str, Any]:
    return {"detail": {"alarmName": "macro-ai-production-ecs-5xx-rate", "state": {"value": state}}}


def _env(p: Platform, weights_arn: str) -> dict[str, str]:
    return {
        "WEIGHTS_ARN": weights_arn,
        "LEGACY_TARGET_GROUP_ARN": p.legacy,
        "ECS_TARGET_GROUP_ARN": p.ecs,
        "MIGRATION_RECORD_PARAMETER": RECORD,
    }


def _rule_weights(p: Platform) -> dict[str, int]:
    (action,) = p.elbv2.describe_rules(RuleArns=[p.rule])["Rules"][0]["Actions"]
    return {g["TargetGroupArn"]: g["Weight"] for g in action["ForwardConfig"]["TargetGroups"]}


def _record(p: Platform) -> dict[str, Any]:
    return dict(json.loads(p.ssm.get_parameter(Name=RECORD)["Parameter"]["Value"]))


def test_alarm_with_a_healthy_legacy_fleet_reverts_and_keeps_the_record(platform: Platform) -> None:
    p = platform
    _healthy_legacy(p)
    lease = {"owner": "ci-run-7", "step": 25, "steps": [10, 25, 50, 100]}
    p.ssm.put_parameter(Name=RECORD, Value=json.dumps(lease), Type="String")
    result = handle(_alarm(), p.elbv2, p.ssm, _env(p, p.rule), NOW)
    assert result["action"] == "reverted"
    assert _rule_weights(p) == {p.legacy: 100, p.ecs: 0}
    record = _record(p)
    assert {k: record[k] for k in lease} == lease, "macro-deploy's keys are kept"
    assert record["safetyNet"] == {
        "at": "2030-01-02T03:04:05Z",
        "alarm": "macro-ai-production-ecs-5xx-rate",
        "action": "reverted",
        "reason": record["safetyNet"]["reason"],
    }
    assert "legacy" in record["safetyNet"]["reason"]


def test_alarm_with_an_empty_legacy_target_group_holds_and_says_why(platform: Platform) -> None:
    p = platform
    result = handle(_alarm(), p.elbv2, p.ssm, _env(p, p.rule), NOW)
    assert result["action"] == "held"
    assert _rule_weights(p) == {p.legacy: 75, p.ecs: 25}, "never send users to a fleet that cannot serve"
    entry = _record(p)["safetyNet"]
    assert entry["action"] == "held"
    assert "no healthy target" in entry["reason"]


def test_no_migration_in_progress_does_nothing(platform: Platform) -> None:
    p = platform
    _healthy_legacy(p)
    p.elbv2.modify_rule(RuleArn=p.rule, Actions=[_weighted(p.legacy, 100, p.ecs, 0)])
    result = handle(_alarm(), p.elbv2, p.ssm, _env(p, p.rule), NOW)
    assert result["action"] == "none"
    assert _rule_weights(p) == {p.legacy: 100, p.ecs: 0}
    with pytest.raises(p.ssm.exceptions.ParameterNotFound):
        p.ssm.get_parameter(Name=RECORD)


def test_an_alarm_returning_to_ok_does_nothing(platform: Platform) -> None:
    p = platform
    _healthy_legacy(p)
    assert handle(_alarm("OK"), p.elbv2, p.ssm, _env(p, p.rule), NOW)["action"] == "none"
    assert _rule_weights(p) == {p.legacy: 75, p.ecs: 25}


def test_weights_on_a_listener_default_action_are_reverted_too(platform: Platform) -> None:
    p = platform
    _healthy_legacy(p)
    p.elbv2.modify_listener(ListenerArn=p.listener, DefaultActions=[_weighted(p.legacy, 50, p.ecs, 50)])
    assert handle(_alarm(), p.elbv2, p.ssm, _env(p, p.listener), NOW)["action"] == "reverted"
    (action,) = p.elbv2.describe_listeners(ListenerArns=[p.listener])["Listeners"][0]["DefaultActions"]
    assert {g["TargetGroupArn"]: g["Weight"] for g in action["ForwardConfig"]["TargetGroups"]} == {
        p.legacy: 100,
        p.ecs: 0,
    }


# --- the synthesized side


@pytest.mark.parametrize(("stack", "on_rule"), [(ADOPTED_STACK, True), (SELF_CONTAINED_STACK, False)])
def test_rule_function_and_least_privilege_policy(synth: Synth, stack: str, on_rule: bool) -> None:
    resources = synth.raw[stack]["Resources"]
    outputs = synth.raw[stack]["Outputs"]
    rule = synth.one(stack, "AWS::Events::Rule")
    pattern = rule["EventPattern"]
    assert pattern["source"] == ["aws.cloudwatch"]
    assert pattern["detail"] == {"state": {"value": ["ALARM"]}}
    alarm_ids = {r["Fn::GetAtt"][0] for r in pattern["resources"]}
    alarm_names = {resources[a]["Properties"]["AlarmName"] for a in alarm_ids}
    assert alarm_names == set(outputs["RolloutAlarmNames"]["Value"].split(","))
    assert len(alarm_names) == len(ROLLOUT_GATES)

    function = next(
        f["Properties"]
        for k, f in synth.resources(stack, "AWS::Lambda::Function").items()
        if k.startswith("SafetyNetFunction")
    )
    assert function["Handler"] == "handler.handler"
    assert function["Runtime"].startswith("python3.")
    env = function["Environment"]["Variables"]
    assert env["MIGRATION_RECORD_PARAMETER"] == outputs["MigrationRecordParameter"]["Value"]
    assert env["WEIGHTS_ARN"] == (outputs["ListenerRuleArn"] if on_rule else outputs["ListenerArn"])["Value"]
    assert env["LEGACY_TARGET_GROUP_ARN"] == outputs["LegacyTargetGroupArn"]["Value"]

    role = function["Role"]["Fn::GetAtt"][0]
    statements = [
        s
        for p in synth.resources(stack, "AWS::IAM::Policy").values()
        if {"Ref": role} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    by_sid = {s["Sid"]: s for s in statements}
    write = by_sid["MoveTheWeights"]
    assert write["Action"] == (
        "elasticloadbalancing:ModifyRule" if on_rule else "elasticloadbalancing:ModifyListener"
    )
    assert write["Resource"] == env["WEIGHTS_ARN"]
    assert set(by_sid["MigrationRecord"]["Action"]) == {"ssm:GetParameter", "ssm:PutParameter"}
    assert json.dumps(by_sid["MigrationRecord"]["Resource"]).endswith(
        f'parameter{outputs["MigrationRecordParameter"]["Value"]}"]]}}'
    )
    wildcard = [s for s in statements if s["Resource"] == "*"]
    assert [a for s in wildcard for a in s["Action"]] == [
        "elasticloadbalancing:DescribeRules",
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeTargetHealth",
    ]
    permission = synth.one(stack, "AWS::Lambda::Permission")
    assert permission["Principal"] == "events.amazonaws.com"
