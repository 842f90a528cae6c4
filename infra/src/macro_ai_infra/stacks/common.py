"""Pieces every stack shares: contract parameters and outputs with exact keys, tags."""

from __future__ import annotations

from aws_cdk import CfnOutput, CfnParameter, Stack
from macro_ai_contract.outputs import StackOutput, StackParameter

from macro_ai_infra.profile import Profile

# Image tags are git commits (or release tags): ECR tag syntax, no "latest" games.
IMAGE_TAG_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$"


def stack_tags(profile: Profile) -> dict[str, str]:
    return {"project": "macro-ai", "environment": profile.environment, "cost-center": profile.cost_center}


def image_tag_parameter(stack: Stack, default: str) -> CfnParameter:
    return CfnParameter(
        stack,
        StackParameter.IMAGE_TAG,
        type="String",
        default=default,
        allowed_pattern=IMAGE_TAG_PATTERN,
        description=(
            "API image tag in ECR (the git commit). CI deploys by updating only this parameter "
            "(UsePreviousTemplate); cdk deploy keeps the previous value unless given one."
        ),
    )


def weight_parameter(stack: Stack, name: StackParameter, default: int, target: str) -> CfnParameter:
    return CfnParameter(
        stack,
        name,
        type="Number",
        default=default,
        min_value=0,
        max_value=100,
        description=f"Listener forward weight of the {target} target group (0..100; the weights sum to 100).",
    )


def output(stack: Stack, key: StackOutput | str, value: str, description: str) -> CfnOutput:
    """A stack output whose OutputKey is exactly ``key`` (stack-level construct ids are not hashed)."""
    out = CfnOutput(stack, str(key), value=value, description=description)
    out.override_logical_id(str(key))
    return out
