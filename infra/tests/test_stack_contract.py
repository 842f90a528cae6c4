"""docs/stack-contract.md is what the operator CLI reads: names, parameters and OutputKeys must match."""

from __future__ import annotations

import re

import pytest
from infra_testkit import (
    ENV_STACKS,
    PREVIEW_STACK,
    REPO_ROOT,
    SELF_CONTAINED_STACK,
    SHARED_STACK,
    VARIANT_STACK,
    WEIGHTED_STACKS,
    Synth,
)
from macro_ai_contract.outputs import StackOutput, migration_record_parameter
from macro_ai_infra.profiles import registered

CONTRACT_DOC = REPO_ROOT / "docs" / "stack-contract.md"


def _section(title: str) -> str:
    text = CONTRACT_DOC.read_text()
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def documented_outputs() -> list[str]:
    return re.findall(r"^\| `(\w+)` \|", _section("Stack outputs"), flags=re.M)


def conditional_outputs() -> set[str]:
    """Outputs the doc marks "only ...": present in some platform modes."""
    return set(re.findall(r"^\| `(\w+)` \| only ", _section("Stack outputs"), flags=re.M))


KEYS = {
    "MacroAiHobbyStack": "hobby",
    "MacroAiStagingStack": "staging",
    "MacroAiProductionStack": "production",
}


def documented_stack_names() -> list[str]:
    return re.findall(r"\| `(MacroAi[\w<>-]+)` \|", _section("Stack names"))


def test_doc_parses() -> None:
    assert "ClusterName" in documented_outputs()
    assert len(documented_outputs()) == 12
    assert conditional_outputs() == {"ListenerRuleArn", "LegacyTargetGroupArn", "MigrationRecordParameter"}
    assert set(documented_outputs()) == {str(o) for o in StackOutput}
    assert "MacroAiHobbyStack" in documented_stack_names()


def test_stack_names_follow_the_contract(synth: Synth) -> None:
    names = documented_stack_names()
    for name in (*ENV_STACKS, SHARED_STACK):
        assert name in names
    assert "MacroAiPreviewStack-pr-<n>" in names
    assert PREVIEW_STACK == "MacroAiPreviewStack-pr-42"
    assert set(synth.raw) == {*ENV_STACKS, SHARED_STACK, PREVIEW_STACK}


@pytest.mark.parametrize("stack", ENV_STACKS)
def test_environment_stack_has_every_documented_output(synth: Synth, stack: str) -> None:
    outputs = synth.raw[stack]["Outputs"]
    assert set(documented_outputs()) - conditional_outputs() <= set(outputs)
    has_legacy = registered()[KEYS[stack]].has_legacy_fleet
    assert ("LegacyTargetGroupArn" in outputs) == ("MigrationRecordParameter" in outputs) == has_legacy
    assert ("ListenerRuleArn" in outputs) == (registered()[KEYS[stack]].platform is not None)
    if has_legacy:
        assert outputs["MigrationRecordParameter"]["Value"] == migration_record_parameter(stack)


def test_preview_stack_has_every_output_except_legacy(synth: Synth) -> None:
    outputs = synth.raw[PREVIEW_STACK]["Outputs"]
    assert set(documented_outputs()) - conditional_outputs() <= set(outputs)
    assert "LegacyTargetGroupArn" not in outputs


def test_after_ec2_cleanup_legacy_output_and_weights_are_gone(variant: Synth) -> None:
    template = variant.raw[VARIANT_STACK]
    assert "LegacyTargetGroupArn" not in template["Outputs"]
    assert set(documented_outputs()) - conditional_outputs() <= set(template["Outputs"])
    assert "LegacyWeight" not in template["Parameters"]
    assert "EcsWeight" not in template["Parameters"]
    assert "ImageTag" in template["Parameters"]


@pytest.mark.parametrize("stack", [*ENV_STACKS, PREVIEW_STACK])
def test_image_tag_parameter(synth: Synth, stack: str) -> None:
    param = synth.raw[stack]["Parameters"]["ImageTag"]
    assert param["Type"] == "String"
    assert re.fullmatch(param["AllowedPattern"], "3e0d0cbf1a2b")
    assert not re.fullmatch(param["AllowedPattern"], "bad tag")


@pytest.mark.parametrize("stack", WEIGHTED_STACKS)
def test_weight_parameters(synth: Synth, stack: str) -> None:
    params = synth.raw[stack]["Parameters"]
    for name, default in (("LegacyWeight", 100), ("EcsWeight", 0)):
        assert params[name]["Type"] == "Number"
        assert (params[name]["MinValue"], params[name]["MaxValue"]) == (0, 100)
        assert params[name]["Default"] == default


@pytest.mark.parametrize("stack", [SELF_CONTAINED_STACK])
def test_outputs_point_at_the_right_resources(synth: Synth, stack: str) -> None:
    outputs = synth.raw[stack]["Outputs"]
    resources = synth.raw[stack]["Resources"]

    def target(key: str) -> dict[str, object]:
        value = outputs[key]["Value"]
        ref = value.get("Ref") or value["Fn::GetAtt"][0]
        return resources[ref]

    assert target("ClusterName")["Type"] == "AWS::ECS::Cluster"
    assert target("EcrRepositoryName")["Type"] == "AWS::ECR::Repository"
    assert target("ListenerArn")["Properties"]["Port"] == 443
    assert target("EcsTargetGroupArn")["Properties"]["TargetType"] == "ip"
    assert target("LegacyTargetGroupArn")["Properties"]["TargetType"] == "instance"
    assert target("AlarmTopicArn")["Type"] == "AWS::SNS::Topic"
    assert target("LogGroupName")["Type"] == "AWS::Logs::LogGroup"
    assert outputs["ServiceName"]["Value"]["Fn::GetAtt"][1] == "Name"
    assert outputs["ServiceUrl"]["Value"].startswith("https://api")


@pytest.mark.parametrize("stack", [*ENV_STACKS, SHARED_STACK, PREVIEW_STACK])
def test_stack_descriptions_ship_no_ticket_references(synth: Synth, stack: str) -> None:
    description = synth.raw[stack]["Description"]
    assert description.startswith("Macro AI")
    assert not re.search(r"issue|#\d|ticket", description, flags=re.I)
