"""Shared fixtures: a moto server over HTTP on loopback, an AWS 'world' matching docs/stack-contract.md,
a Runtime with virtual time, and a CLI invoker."""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from macro_ai_deploy.cli import Runtime, app
from macro_ai_devstack.testing import moto_server
from rollout_doubles import FakeClock
from typer.testing import CliRunner

REGION = "us-east-1"


@pytest.fixture(scope="session")
def moto_url():
    with moto_server() as url:
        yield url


@pytest.fixture
def aws(moto_url, monkeypatch, tmp_path):
    """Point boto3 (natively, through AWS_ENDPOINT_URL) at a freshly reset moto server."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST"))  # noqa: S310
    for k, v in {
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return moto_url


def client(name: str) -> Any:
    return boto3.client(name, region_name=REGION)


# A template with ONLY Parameters and Outputs (plus one inert resource, which moto skips): moto's
# CloudFormation cannot create the real ALB/ECS resources. The outputs echo parameters holding the ARNs of
# resources created directly in moto, so the CLI reads exactly the contract's outputs. What this cannot
# show: that a real stack update of LegacyWeight/EcsWeight re-applies the listener (CloudFormation does that
# in AWS; here the listener is only moved by modify_listener).
OUTPUT_KEYS = [
    "ClusterName",
    "ServiceName",
    "EcrRepositoryName",
    "ListenerArn",
    "EcsTargetGroupArn",
    "LegacyTargetGroupArn",
    "RolloutAlarmNames",
    "AlarmTopicArn",
    "LogGroupName",
    "ServiceUrl",
]


def contract_template(outputs: list[str], weights: bool = True) -> str:
    params: dict[str, Any] = {"ImageTag": {"Type": "String"}}
    if weights:
        params["LegacyWeight"] = {"Type": "Number", "Default": 100, "MinValue": 0, "MaxValue": 100}
        params["EcsWeight"] = {"Type": "Number", "Default": 0, "MinValue": 0, "MaxValue": 100}
    for k in outputs:
        params[f"Out{k}"] = {"Type": "String"}
    return json.dumps(
        {
            "Parameters": params,
            "Resources": {"Placeholder": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
            "Outputs": {k: {"Value": {"Ref": f"Out{k}"}} for k in outputs},
        }
    )


@dataclass
class World:
    stack: str
    outputs: dict[str, str]
    vpc: str
    instances: list[str] = field(default_factory=list)

    def listener_weights(self) -> dict[str, int]:
        """What ELBv2 says (the rule in adopt mode, else the listener default), by legacy / ecs."""
        elb = client("elbv2")
        if "ListenerRuleArn" in self.outputs:
            rule = elb.describe_rules(RuleArns=[self.outputs["ListenerRuleArn"]])["Rules"][0]
            groups = rule["Actions"][0]["ForwardConfig"]["TargetGroups"]
        else:
            lis = elb.describe_listeners(ListenerArns=[self.outputs["ListenerArn"]])["Listeners"][0]
            groups = lis["DefaultActions"][0]["ForwardConfig"]["TargetGroups"]
        by_arn = {g["TargetGroupArn"]: g["Weight"] for g in groups}
        return {
            "legacy": by_arn.get(self.outputs["LegacyTargetGroupArn"], 0),
            "ecs": by_arn.get(self.outputs["EcsTargetGroupArn"], 0),
        }

    def set_weights(self, ecs_percent: int) -> None:
        """Move the live weights as a migration would (the rule in adopt mode, else the listener default)."""
        from macro_ai_deploy.aws.elbv2 import ListenerRouter, LoadBalancing
        from macro_ai_deploy.rollout import Weights

        o = self.outputs
        ListenerRouter(
            LoadBalancing(client("elbv2")),
            o["ListenerArn"],
            o["LegacyTargetGroupArn"],
            o["EcsTargetGroupArn"],
            rule_arn=o.get("ListenerRuleArn"),
        ).set_weights(Weights.to_ecs(ecs_percent))

    def stack_params(self) -> dict[str, str]:
        s = client("cloudformation").describe_stacks(StackName=self.stack)["Stacks"][0]
        return {p["ParameterKey"]: p["ParameterValue"] for p in s["Parameters"]}

    def set_alarm(self, name: str, state: str) -> None:
        client("cloudwatch").set_alarm_state(AlarmName=name, StateValue=state, StateReason="test")


def build_world(
    env: str = "hobby",
    stack: str = "MacroAiHobbyStack",
    ecs_targets: int = 2,
    image_tag: str = "c0ffee",
    adopt_rule: bool = False,
) -> World:
    """adopt_rule: like an adopt-mode stack, the weights live in a listener rule (ListenerRuleArn) and the
    listener's default action forwards to the legacy target group alone."""
    ec2, elb, ecs, cw = client("ec2"), client("elbv2"), client("ecs"), client("cloudwatch")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in ((1, "a"), (2, "b"))
    ]
    lb = elb.create_load_balancer(Name=f"macro-ai-{env}", Subnets=subnets)["LoadBalancers"][0][
        "LoadBalancerArn"
    ]
    legacy = elb.create_target_group(
        Name=f"legacy-{env}", Protocol="HTTP", Port=3040, VpcId=vpc, TargetType="instance"
    )["TargetGroups"][0]["TargetGroupArn"]
    ecs_tg = elb.create_target_group(
        Name=f"ecs-{env}", Protocol="HTTP", Port=3040, VpcId=vpc, TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    listener = elb.create_listener(
        LoadBalancerArn=lb,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[
            {
                "Type": "forward",
                "ForwardConfig": {
                    "TargetGroups": [
                        {"TargetGroupArn": legacy, "Weight": 100},
                        {"TargetGroupArn": ecs_tg, "Weight": 0},
                    ]
                },
            }
        ],
    )["Listeners"][0]["ListenerArn"]
    instances = [
        i["InstanceId"]
        for i in ec2.run_instances(ImageId="ami-12345678", MinCount=2, MaxCount=2, SubnetId=subnets[0])[
            "Instances"
        ]
    ]
    elb.register_targets(TargetGroupArn=legacy, Targets=[{"Id": i} for i in instances])
    if ecs_targets:
        elb.register_targets(
            TargetGroupArn=ecs_tg,
            Targets=[{"Id": f"10.0.1.{10 + n}", "Port": 3040} for n in range(ecs_targets)],
        )
    ecs.create_cluster(clusterName=f"macro-ai-{env}")
    ecr = client("ecr")
    repo = ecr.create_repository(repositoryName=f"macro-ai-api-{env}", imageTagMutability="IMMUTABLE")[
        "repository"
    ]["repositoryUri"]
    ecs.register_task_definition(
        family=f"macro-ai-api-{env}",
        containerDefinitions=[{"name": "api", "image": f"{repo}:{image_tag}", "memory": 512}],
    )
    ecs.create_service(
        cluster=f"macro-ai-{env}", serviceName="api", taskDefinition=f"macro-ai-api-{env}", desiredCount=1
    )
    client("application-autoscaling").register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=f"service/macro-ai-{env}/api",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=1,
        MaxCapacity=4,
    )
    alarms = [f"macro-ai-{env}-5xx", f"macro-ai-{env}-latency", f"macro-ai-{env}-unhealthy"]
    for a in alarms:
        cw.put_metric_alarm(
            AlarmName=a,
            MetricName="m",
            Namespace="macro-ai",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanThreshold",
        )
        cw.set_alarm_state(AlarmName=a, StateValue="OK", StateReason="fine")
    outputs: dict[str, str] = {}
    if adopt_rule:
        elb.modify_listener(
            ListenerArn=listener, DefaultActions=[{"Type": "forward", "TargetGroupArn": legacy}]
        )
        outputs["ListenerRuleArn"] = elb.create_rule(
            ListenerArn=listener,
            Priority=10,
            Conditions=[{"Field": "path-pattern", "Values": ["/*"]}],
            Actions=[
                {
                    "Type": "forward",
                    "ForwardConfig": {
                        "TargetGroups": [
                            {"TargetGroupArn": legacy, "Weight": 100},
                            {"TargetGroupArn": ecs_tg, "Weight": 0},
                        ]
                    },
                }
            ],
        )["Rules"][0]["RuleArn"]
    outputs |= {
        "ClusterName": f"macro-ai-{env}",
        "ServiceName": "api",
        "EcrRepositoryName": f"macro-ai-api-{env}",
        "ListenerArn": listener,
        "EcsTargetGroupArn": ecs_tg,
        "LegacyTargetGroupArn": legacy,
        "RolloutAlarmNames": ",".join(alarms),
        "AlarmTopicArn": "arn:aws:sns:us-east-1:123456789012:alarms",
        "LogGroupName": f"/macro-ai/{env}/api",
        "ServiceUrl": f"https://api.{env}.macro-ai.example",
    }
    # LegacyWeight/EcsWeight passed explicitly: moto 5.2.5 answers 500 (KeyError) to UsePreviousValue for a
    # parameter that was left at its Default at creation (real CloudFormation accepts it)
    params = [
        {"ParameterKey": "ImageTag", "ParameterValue": image_tag},
        {"ParameterKey": "LegacyWeight", "ParameterValue": "100"},
        {"ParameterKey": "EcsWeight", "ParameterValue": "0"},
    ] + [{"ParameterKey": f"Out{k}", "ParameterValue": v} for k, v in outputs.items()]
    client("cloudformation").create_stack(
        StackName=stack, TemplateBody=contract_template(list(outputs)), Parameters=params
    )
    return World(stack, outputs, vpc, instances)


@pytest.fixture
def world(aws) -> World:
    return build_world()


@dataclass
class Cli:
    runtime: Runtime

    def __call__(self, *args: str) -> Any:
        result = CliRunner().invoke(app, list(args), obj=self.runtime)
        result.all_output = result.stdout + result.stderr  # type: ignore[attr-defined]
        return result


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def cli(clock) -> Cli:
    rt = Runtime(
        clock=clock,
        cfn_poll_seconds=0.0,
        utcnow=lambda: datetime(2026, 11, 29, 12, 0, tzinfo=UTC),
        alarm_history=False,  # moto has no DescribeAlarmHistory: see test_gates_stubbed.py
    )
    return Cli(rt)


@pytest.fixture
def make_world(aws):
    """Factory for extra worlds (other environments, other target counts)."""
    return build_world


@pytest.fixture
def aws_client(aws):
    return client


def pytest_configure(config):
    # the placeholder resource of contract_template(): moto says it skips it, which is the point
    config.addinivalue_line(
        "filterwarnings", "ignore:Tried to parse AWS..CloudFormation..WaitConditionHandle"
    )
