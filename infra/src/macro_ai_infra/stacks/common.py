"""Pieces every stack shares: contract parameters and outputs with exact keys, tags."""

from __future__ import annotations

from aws_cdk import CfnOutput, CfnParameter, Stack

# Image tags are git commits (or release tags): ECR tag syntax, no "latest" games.
IMAGE_TAG_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$"


def image_tag_parameter(stack: Stack, default: str) -> CfnParameter:
    return CfnParameter(
        stack,
        "ImageTag",
        type="String",
        default=default,
        allowed_pattern=IMAGE_TAG_PATTERN,
        description=(
            "API image tag in ECR (the git commit). CI deploys by updating only this parameter "
            "(UsePreviousTemplate); cdk deploy keeps the previous value unless given one."
        ),
    )


def weight_parameter(stack: Stack, name: str, default: int, target: str) -> CfnParameter:
    return CfnParameter(
        stack,
        name,
        type="Number",
        default=default,
        min_value=0,
        max_value=100,
        description=f"Listener forward weight of the {target} target group (0..100; the weights sum to 100).",
    )


def output(stack: Stack, key: str, value: str, description: str, *, export: bool = False) -> CfnOutput:
    """A stack output whose OutputKey is exactly ``key`` (stack-level construct ids are not hashed)."""
    out = CfnOutput(
        stack,
        key,
        value=value,
        description=description,
        export_name=f"{stack.stack_name}-{key}" if export else None,
    )
    out.override_logical_id(key)
    return out
