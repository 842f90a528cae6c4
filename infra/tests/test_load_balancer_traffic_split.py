"""Load balancer, Route 53, and the weighted traffic split between the legacy fleet and ECS, per platform
mode: self-contained (staging: own ALB, weights on the default action), adopted (production: a rule on the
running listener) and shared (hobby: a host rule on the preview ALB)."""

from __future__ import annotations

import json

import pytest
from infra_testkit import (
    ADOPTED_STACK,
    ENV_STACKS,
    OWN_ALB_STACKS,
    SELF_CONTAINED_STACK,
    SHARED_HOSTED_STACK,
    SHARED_STACK,
    VARIANT_STACK,
    Synth,
)
from macro_ai_contract.service import ServiceContract
from macro_ai_infra.profiles import registered
from macro_ai_infra.timing import drain_timing

HOSTS = {
    "MacroAiHobbyStack": "api-dev.macro-ai.example.com",
    "MacroAiStagingStack": "api-staging.macro-ai.example.com",
    "MacroAiProductionStack": "api.macro-ai.example.com",
}


def listeners(synth: Synth, stack: str) -> dict[int, dict]:
    return {
        r["Properties"]["Port"]: r["Properties"]
        for r in synth.resources(stack, "AWS::ElasticLoadBalancingV2::Listener").values()
    }


@pytest.mark.parametrize("stack", OWN_ALB_STACKS)
def test_alb_https_and_redirect(synth: Synth, stack: str, contract: ServiceContract) -> None:
    alb = synth.one(stack, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    assert alb["Scheme"] == "internet-facing"
    attributes = {a["Key"]: a["Value"] for a in alb["LoadBalancerAttributes"]}
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert attributes["access_logs.s3.enabled"] == "true"
    # Below the app's keep-alive: the balancer never reuses a connection the app has closed.
    assert int(attributes["idle_timeout.timeout_seconds"]) == contract.load_balancer_idle_timeout_seconds
    assert contract.load_balancer_idle_timeout_seconds < contract.keep_alive_timeout_seconds
    by_port = listeners(synth, stack)
    assert set(by_port) == {80, 443}
    assert by_port[80]["DefaultActions"] == [
        {"RedirectConfig": {"Port": "443", "Protocol": "HTTPS", "StatusCode": "HTTP_301"}, "Type": "redirect"}
    ]
    assert by_port[443]["Protocol"] == "HTTPS"
    assert by_port[443]["SslPolicy"].startswith("ELBSecurityPolicy-TLS13")
    assert by_port[443]["Certificates"][0]["CertificateArn"]["Ref"].startswith("LoadBalancerCertificate")


@pytest.mark.parametrize("stack", [SELF_CONTAINED_STACK])
def test_certificate_of_an_own_load_balancer(synth: Synth, stack: str) -> None:
    cert = synth.one(stack, "AWS::CertificateManager::Certificate")
    assert cert["DomainName"] == HOSTS[stack]
    assert cert["ValidationMethod"] == "DNS"
    assert cert["DomainValidationOptions"][0]["HostedZoneId"] == registered()["staging"].hosted_zone_id


@pytest.mark.parametrize("stack", [SELF_CONTAINED_STACK, SHARED_HOSTED_STACK])
def test_alias_record(synth: Synth, stack: str) -> None:
    record = synth.one(stack, "AWS::Route53::RecordSet")
    assert record["Name"] == f"{HOSTS[stack]}."
    assert record["Type"] == "A"
    assert "AliasTarget" in record
    assert synth.raw[stack]["Outputs"]["ServiceUrl"]["Value"] == f"https://{HOSTS[stack]}"


def test_shared_preview_certificate_is_a_wildcard(synth: Synth) -> None:
    cert = synth.one(SHARED_STACK, "AWS::CertificateManager::Certificate")
    assert cert["DomainName"] == "*.macro-ai.example.com"
    default = listeners(synth, SHARED_STACK)[443]["DefaultActions"][0]
    assert default["Type"] == "fixed-response"
    assert default["FixedResponseConfig"]["StatusCode"] == "404"


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_ecs_target_group_health_check(synth: Synth, stack: str, contract: ServiceContract) -> None:
    groups = synth.resources(stack, "AWS::ElasticLoadBalancingV2::TargetGroup")
    tg = next(v["Properties"] for k, v in groups.items() if k.startswith("ApiTargetGroup"))
    assert tg["TargetType"] == "ip"
    assert tg["Port"] == contract.port
    assert tg["HealthCheckPath"] == contract.load_balancer_check_path
    assert tg["HealthCheckIntervalSeconds"] == contract.health_check_interval_seconds
    assert tg["HealthCheckTimeoutSeconds"] == contract.health_check_timeout_seconds
    assert tg["HealthyThresholdCount"] == contract.healthy_threshold
    assert tg["UnhealthyThresholdCount"] == contract.unhealthy_threshold
    assert tg["Matcher"] == {"HttpCode": "200"}
    attributes = {a["Key"]: a["Value"] for a in tg["TargetGroupAttributes"]}
    delay = int(attributes["deregistration_delay.timeout_seconds"])
    # A stream that started just before the balancer saw the task leave still finishes before SIGTERM.
    assert (
        delay
        == contract.max_stream_seconds + contract.detection_seconds
        == drain_timing(contract).deregistration_delay_seconds
    )


def _weights(action: dict) -> dict[str, object]:  # type: ignore[type-arg]
    assert action["Type"] == "forward"
    return {json.dumps(g["TargetGroupArn"]): g["Weight"] for g in action["ForwardConfig"]["TargetGroups"]}


def test_self_contained_default_action_is_the_weighted_forward(synth: Synth) -> None:
    (action,) = listeners(synth, SELF_CONTAINED_STACK)[443]["DefaultActions"]
    weights = _weights(action)
    assert weights == {
        json.dumps(
            {
                "Ref": next(
                    k
                    for k in synth.raw[SELF_CONTAINED_STACK]["Resources"]
                    if k.startswith("LegacyFleetTargetGroup")
                )
            }
        ): {"Ref": "LegacyWeight"},
        json.dumps(
            {
                "Ref": next(
                    k for k in synth.raw[SELF_CONTAINED_STACK]["Resources"] if k.startswith("ApiTargetGroup")
                )
            }
        ): {"Ref": "EcsWeight"},
    }
    sticky = action["ForwardConfig"]["TargetGroupStickinessConfig"]
    assert sticky == {"Enabled": True, "DurationSeconds": registered()["staging"].sticky_seconds}
    ref = synth.raw[SELF_CONTAINED_STACK]["Outputs"]["ListenerArn"]["Value"]["Ref"]
    assert synth.raw[SELF_CONTAINED_STACK]["Resources"][ref]["Properties"]["Port"] == 443
    assert "ListenerRuleArn" not in synth.raw[SELF_CONTAINED_STACK]["Outputs"]


def test_adopt_mode_builds_only_the_ecs_side(synth: Synth) -> None:
    adopted = registered()["production"].adopted
    assert adopted is not None
    resources = synth.raw[ADOPTED_STACK]["Resources"]
    types = {r["Type"] for r in resources.values()}
    for absent in (
        "AWS::EC2::VPC",
        "AWS::EC2::Subnet",
        "AWS::EC2::NatGateway",
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "AWS::ElasticLoadBalancingV2::Listener",
        "AWS::AutoScaling::AutoScalingGroup",
        "AWS::CertificateManager::Certificate",
        "AWS::Route53::RecordSet",
    ):
        assert absent not in types, absent
    (tg,) = synth.resources(ADOPTED_STACK, "AWS::ElasticLoadBalancingV2::TargetGroup").values()
    assert tg["Properties"]["VpcId"] == adopted.vpc.vpc_id
    rule = synth.one(ADOPTED_STACK, "AWS::ElasticLoadBalancingV2::ListenerRule")
    assert rule["ListenerArn"] == adopted.https_listener_arn
    assert rule["Priority"] == adopted.rule_priority
    assert rule["Conditions"] == [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}}]
    (action,) = rule["Actions"]
    assert _weights(action) == {
        json.dumps(adopted.legacy_target_group_arn): {"Ref": "LegacyWeight"},
        json.dumps({"Ref": next(k for k in resources if k.startswith("ApiTargetGroup"))}): {
            "Ref": "EcsWeight"
        },
    }
    outputs = synth.raw[ADOPTED_STACK]["Outputs"]
    assert outputs["ListenerRuleArn"]["Value"] == {
        "Ref": next(
            k for k, r in resources.items() if r["Type"] == "AWS::ElasticLoadBalancingV2::ListenerRule"
        )
    }
    assert outputs["ListenerArn"]["Value"] == adopted.https_listener_arn
    assert outputs["LegacyTargetGroupArn"]["Value"] == adopted.legacy_target_group_arn
    # The task admits the running load balancer's security group, nothing else.
    (ingress,) = synth.resources(ADOPTED_STACK, "AWS::EC2::SecurityGroupIngress").values()
    assert ingress["Properties"]["SourceSecurityGroupId"] == adopted.load_balancer_security_group_id


def test_adopt_mode_reads_the_running_fleets_secrets(synth: Synth, contract: ServiceContract) -> None:
    adopted = registered()["production"].adopted
    assert adopted is not None
    (c,) = synth.one(ADOPTED_STACK, "AWS::ECS::TaskDefinition")["ContainerDefinitions"]
    value_from = {s["Name"]: json.dumps(s["ValueFrom"]) for s in c["Secrets"]}
    for name, parameter in adopted.existing_parameters:
        assert f":parameter{parameter}" in value_from[name], name
    assert {"API_KEY", "COOKIE_ENCRYPTION_KEY", "RELATIONAL_DATABASE_URL"} <= dict(
        adopted.existing_parameters
    ).keys()
    # No new cookie key: users stay signed in across the cutover.
    secret = synth.one(ADOPTED_STACK, "AWS::SecretsManager::Secret")
    assert "GenerateSecretString" not in secret
    assert "COOKIE_ENCRYPTION_KEY" not in json.dumps(secret)


def test_shared_hosting_is_a_host_rule_on_the_preview_listener(synth: Synth) -> None:
    hobby = registered()["hobby"]
    types = {r["Type"] for r in synth.raw[SHARED_HOSTED_STACK]["Resources"].values()}
    assert "AWS::ElasticLoadBalancingV2::LoadBalancer" not in types
    assert "AWS::EC2::VPC" not in types
    rule = synth.one(SHARED_HOSTED_STACK, "AWS::ElasticLoadBalancingV2::ListenerRule")
    assert rule["ListenerArn"] == {"Fn::ImportValue": "MacroAiPreviewShared-HttpsListenerArn"}
    assert rule["Conditions"][0]["HostHeaderConfig"]["Values"] == [hobby.api_host()]
    assert rule["Priority"] == hobby.platform.rule_priority  # type: ignore[union-attr]


def test_ec2_cleanup_removes_legacy_fleet_only(synth: Synth, variant: Synth) -> None:
    before = synth.raw[VARIANT_STACK]["Resources"]
    after = variant.raw[VARIANT_STACK]["Resources"]
    gone = {k for k in before if k not in after}
    assert not any(k.startswith("LegacyFleet") for k in after)
    legacy_types = {before[k]["Type"] for k in gone if k.startswith("LegacyFleet")}
    assert {
        "AWS::AutoScaling::AutoScalingGroup",
        "AWS::EC2::LaunchTemplate",
        "AWS::IAM::Role",
        "AWS::EC2::SecurityGroup",
        "AWS::ElasticLoadBalancingV2::TargetGroup",
    } <= legacy_types
    assert not any(k.startswith("SafetyNet") for k in after), "no legacy fleet, nothing to revert to"
    for type_ in ("AWS::ECS::Service", "AWS::ECS::TaskDefinition"):
        assert {k for k, v in before.items() if v["Type"] == type_} == {
            k for k, v in after.items() if v["Type"] == type_
        }
    ecs_tgs = {k for k in before if k.startswith("ApiTargetGroup")}
    assert ecs_tgs
    assert ecs_tgs <= set(after)
    # The new service is untouched: same logical ids, same properties.
    for name, resource in before.items():
        if name.startswith(
            ("ApiTask", "ApiTargetGroup", "ApiService", "Cluster", "Registry", "Configuration")
        ):
            assert after[name]["Properties"] == resource["Properties"], name
    (action,) = next(
        v["Properties"]["DefaultActions"]
        for v in after.values()
        if v["Type"] == "AWS::ElasticLoadBalancingV2::Listener" and v["Properties"]["Port"] == 443
    )
    assert action == {"Type": "forward", "TargetGroupArn": {"Ref": next(iter(ecs_tgs))}}


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_alb_alone_reaches_the_tasks(synth: Synth, stack: str) -> None:
    resources = synth.raw[stack]["Resources"]
    ingress = [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::EC2::SecurityGroupIngress"
        and r["Properties"]["GroupId"]["Fn::GetAtt"][0].startswith("ApiSecurityGroup")
    ]
    assert len(ingress) == 1
    assert (ingress[0]["FromPort"], ingress[0]["ToPort"]) == (3040, 3040)
    assert "CidrIp" not in ingress[0]


def test_adopt_mode_after_the_ec2_cleanup_forwards_to_ecs_only(contract: ServiceContract) -> None:
    from dataclasses import replace

    from aws_cdk import App
    from aws_cdk.assertions import Template
    from macro_ai_infra.stacks.environment import EnvironmentStack

    production = registered()["production"]
    assert production.adopted is not None
    cleaned = replace(
        production, platform=replace(production.adopted, legacy_target_group_arn=None)
    ).validate()
    template = Template.from_stack(EnvironmentStack(App(), profile=cleaned, contract=contract)).to_json()
    (rule,) = [
        r for r in template["Resources"].values() if r["Type"] == "AWS::ElasticLoadBalancingV2::ListenerRule"
    ]
    (action,) = rule["Properties"]["Actions"]
    assert action["Type"] == "forward"
    assert "ForwardConfig" not in action or len(action["ForwardConfig"]["TargetGroups"]) == 1
    assert "LegacyWeight" not in template.get("Parameters", {})
    assert "LegacyTargetGroupArn" not in template["Outputs"]
    assert not [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]


def test_adopt_mode_writes_nothing_into_the_running_fleets_hierarchy(synth: Synth) -> None:
    """CloudFormation cannot create a parameter name that exists, and the fleet owns /macro-ai/production/."""
    assert not synth.resources(ADOPTED_STACK, "AWS::SSM::Parameter")
    (c,) = synth.one(ADOPTED_STACK, "AWS::ECS::TaskDefinition")["ContainerDefinitions"]
    value_from = {s["Name"]: json.dumps(s["ValueFrom"]) for s in c["Secrets"]}
    assert (
        ":parameter/macro-ai/production/AWS_COGNITO_REFRESH_TOKEN_EXPIRY"
        in value_from["AWS_COGNITO_REFRESH_TOKEN_EXPIRY"]
    )
