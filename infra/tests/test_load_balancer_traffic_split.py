"""Load balancer, Route 53, and the weighted traffic split between the legacy fleet and ECS."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match
from infra_testkit import ENV_STACKS, SHARED_STACK, VARIANT_STACK, Synth
from macro_ai_contract.service import ServiceContract
from macro_ai_infra.timing import drain_timing
from macro_ai_infra.profiles import registered

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


@pytest.mark.parametrize("stack", [*ENV_STACKS, SHARED_STACK])
def test_alb_https_and_redirect(synth: Synth, stack: str) -> None:
    alb = synth.one(stack, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    assert alb["Scheme"] == "internet-facing"
    attributes = {a["Key"]: a["Value"] for a in alb["LoadBalancerAttributes"]}
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert attributes["access_logs.s3.enabled"] == "true"
    by_port = listeners(synth, stack)
    assert set(by_port) == {80, 443}
    assert by_port[80]["DefaultActions"] == [
        {"RedirectConfig": {"Port": "443", "Protocol": "HTTPS", "StatusCode": "HTTP_301"}, "Type": "redirect"}
    ]
    assert by_port[443]["Protocol"] == "HTTPS"
    assert by_port[443]["SslPolicy"].startswith("ELBSecurityPolicy-TLS13")
    assert by_port[443]["Certificates"][0]["CertificateArn"]["Ref"].startswith("LoadBalancerCertificate")


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_certificate_and_alias_record(synth: Synth, stack: str) -> None:
    cert = synth.one(stack, "AWS::CertificateManager::Certificate")
    assert cert["DomainName"] == HOSTS[stack]
    assert cert["ValidationMethod"] == "DNS"
    assert cert["DomainValidationOptions"][0]["HostedZoneId"] == registered()["hobby"].hosted_zone_id
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
    tg = next(v["Properties"] for k, v in groups.items() if k.startswith("EcsTargetGroup"))
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
    assert delay == contract.max_stream_seconds + contract.detection_seconds == drain_timing(contract).deregistration_delay_seconds


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_listener_default_is_weighted_forward_wired_to_parameters(synth: Synth, stack: str) -> None:
    (action,) = listeners(synth, stack)[443]["DefaultActions"]
    assert action["Type"] == "forward"
    groups = action["ForwardConfig"]["TargetGroups"]
    weights = {g["TargetGroupArn"]["Ref"].split("TargetGroup")[0]: g["Weight"] for g in groups}
    assert weights == {"LegacyFleet": {"Ref": "LegacyWeight"}, "Ecs": {"Ref": "EcsWeight"}}


def test_listener_output_is_the_weighted_listener(synth: Synth) -> None:
    stack = "MacroAiProductionStack"
    ref = synth.raw[stack]["Outputs"]["ListenerArn"]["Value"]["Ref"]
    assert synth.raw[stack]["Resources"][ref]["Properties"]["Port"] == 443


def test_ec2_cleanup_removes_legacy_fleet_only(synth: Synth, variant: Synth) -> None:
    before = synth.raw["MacroAiHobbyStack"]["Resources"]
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
    for type_ in ("AWS::ECS::Service", "AWS::ECS::TaskDefinition"):
        assert {k for k, v in before.items() if v["Type"] == type_} == {
            k for k, v in after.items() if v["Type"] == type_
        }
    ecs_tgs = {k for k in before if k.startswith("EcsTargetGroup")}
    assert ecs_tgs
    assert ecs_tgs <= set(after)
    # The new service is untouched: same logical ids, same properties.
    for name, resource in before.items():
        if name.startswith(("Api", "EcsTargetGroup", "Cluster", "Registry", "Configuration")):
            assert after[name]["Properties"] == resource["Properties"], name
    (action,) = next(
        v["Properties"]["DefaultActions"]
        for v in after.values()
        if v["Type"] == "AWS::ElasticLoadBalancingV2::Listener" and v["Properties"]["Port"] == 443
    )
    assert action == {"Type": "forward", "TargetGroupArn": {"Ref": next(iter(ecs_tgs))}}


def test_alb_alone_reaches_the_tasks(synth: Synth) -> None:
    template = synth.templates["MacroAiProductionStack"]
    template.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        {
            "IpProtocol": "tcp",
            "FromPort": 3040,
            "ToPort": 3040,
            "GroupId": {"Fn::GetAtt": [Match.string_like_regexp("ApiSecurityGroup"), "GroupId"]},
            "SourceSecurityGroupId": {
                "Fn::GetAtt": [Match.string_like_regexp("LoadBalancerSecurityGroup"), "GroupId"]
            },
        },
    )
