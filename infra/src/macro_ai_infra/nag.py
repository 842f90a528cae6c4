"""cdk-nag v3 acknowledgments: every one carries a reason, and all are listed for the docs and tests."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Stack, Validations
from constructs import IConstruct

MIN_REASON_LENGTH = 30


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge (suppress) one cdk-nag finding on ``scope`` and everything below it, with a reason."""
    if len(reason.strip()) < MIN_REASON_LENGTH:
        raise ValueError(f"acknowledgment of {rule} needs a real reason, got {reason!r}")
    Validations.of(scope).acknowledge(Acknowledgment(id=rule, reason=reason))


def parameter_path_arns(scope: IConstruct, prefix: str) -> list[str]:
    """ARNs of a Parameter Store hierarchy: the path (GetParametersByPath) and everything below it."""
    stack = Stack.of(scope)
    path = stack.format_arn(service="ssm", resource="parameter", resource_name=prefix.strip("/"))
    return [path, f"{path}/*"]


def acknowledge_parameter_path(scope: IConstruct, prefix: str) -> None:
    region = Stack.of(scope).region
    rule = (
        f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:{region}:<AWS::AccountId>:parameter{prefix}*]"
    )
    acknowledge(
        scope,
        rule,
        f"Read access is scoped to the environment's own Parameter Store hierarchy {prefix}; the service "
        "reads the whole hierarchy at run time so new settings need no IAM change.",
    )
