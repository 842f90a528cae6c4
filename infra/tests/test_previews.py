"""Previews: a shared platform with fixed exports, and per-PR stacks that only import them."""

from __future__ import annotations

import json

from infra_testkit import PREVIEW_STACK, SHARED_STACK, Synth
from macro_ai_infra.constructs.preview import SHARED_EXPORT_KEYS, export_name


def test_shared_stack_exports_every_key(synth: Synth) -> None:
    exports = {o["Export"]["Name"] for o in synth.raw[SHARED_STACK]["Outputs"].values() if "Export" in o}
    assert exports == {export_name(k) for k in SHARED_EXPORT_KEYS}


def test_preview_imports_only_what_the_shared_stack_exports(synth: Synth) -> None:
    text = json.dumps(synth.raw[PREVIEW_STACK])
    imported = set()
    for key in SHARED_EXPORT_KEYS:
        if f'"Fn::ImportValue": "{export_name(key)}"' in text:
            imported.add(key)
    assert "HttpsListenerArn" in imported
    assert "ClusterName" in imported
    assert text.count("Fn::ImportValue") >= len(imported)
    assert "MacroAiPreviewShared-" in text
    for chunk in text.split('"Fn::ImportValue": "')[1:]:
        assert chunk.split('"')[0] in {export_name(k) for k in SHARED_EXPORT_KEYS}


def test_preview_owns_no_shared_infrastructure(synth: Synth) -> None:
    types = {r["Type"] for r in synth.raw[PREVIEW_STACK]["Resources"].values()}
    for shared in (
        "AWS::EC2::VPC",
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "AWS::ECS::Cluster",
        "AWS::ECR::Repository",
        "AWS::CertificateManager::Certificate",
        "AWS::SNS::Topic",
        "AWS::ElasticLoadBalancingV2::Listener",
        "AWS::CloudWatch::Dashboard",
        "AWS::KMS::Key",
    ):
        assert shared not in types, shared


def test_host_header_rule_on_the_shared_listener(synth: Synth) -> None:
    rule = synth.one(PREVIEW_STACK, "AWS::ElasticLoadBalancingV2::ListenerRule")
    assert rule["Priority"] == 42
    assert rule["ListenerArn"] == {"Fn::ImportValue": "MacroAiPreviewShared-HttpsListenerArn"}
    assert rule["Conditions"] == [
        {"Field": "host-header", "HostHeaderConfig": {"Values": ["pr-42-api.macro-ai.example.com"]}}
    ]
    assert rule["Actions"][0]["Type"] == "forward"


def test_preview_record_and_url(synth: Synth) -> None:
    record = synth.one(PREVIEW_STACK, "AWS::Route53::RecordSet")
    assert record["Name"] == "pr-42-api.macro-ai.example.com."
    assert record["AliasTarget"]["DNSName"]["Fn::Join"][1][1] == {
        "Fn::ImportValue": "MacroAiPreviewShared-LoadBalancerDnsName"
    }
    assert (
        synth.raw[PREVIEW_STACK]["Outputs"]["ServiceUrl"]["Value"] == "https://pr-42-api.macro-ai.example.com"
    )


def test_preview_tasks_admit_only_the_shared_alb(synth: Synth) -> None:
    ingress = [
        r["Properties"] for r in synth.resources(PREVIEW_STACK, "AWS::EC2::SecurityGroupIngress").values()
    ]
    sg = synth.one(PREVIEW_STACK, "AWS::EC2::SecurityGroup")
    inline = sg.get("SecurityGroupIngress", [])
    sources = [i.get("SourceSecurityGroupId") for i in ingress + inline]
    assert sources
    assert all(s == {"Fn::ImportValue": "MacroAiPreviewShared-LoadBalancerSecurityGroupId"} for s in sources)
    assert not any("CidrIp" in i for i in ingress + inline)


def test_shared_alb_may_reach_preview_targets(synth: Synth) -> None:
    sg = (
        synth.one(SHARED_STACK, "AWS::EC2::SecurityGroup")
        if len(synth.resources(SHARED_STACK, "AWS::EC2::SecurityGroup")) == 1
        else None
    )
    egress = [
        e
        for r in synth.resources(SHARED_STACK, "AWS::EC2::SecurityGroup").values()
        for e in r["Properties"].get("SecurityGroupEgress", [])
        if e.get("FromPort") == 3040
    ]
    assert egress, sg
