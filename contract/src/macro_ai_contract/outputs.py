"""What a stack exposes to macro-deploy: CloudFormation parameters and output keys, declared once.

The CDK app writes them (``infra``), the operator CLI reads them (``deploy``); both import these names, so a
rename is one edit here and a type error on both sides rather than a string that silently stops matching.
docs/stack-contract.md describes each.
"""

from __future__ import annotations

import enum


class StackParameter(enum.StrEnum):
    IMAGE_TAG = "ImageTag"
    LEGACY_WEIGHT = "LegacyWeight"
    ECS_WEIGHT = "EcsWeight"


class StackOutput(enum.StrEnum):
    CLUSTER_NAME = "ClusterName"
    SERVICE_NAME = "ServiceName"
    ECR_REPOSITORY_NAME = "EcrRepositoryName"
    LISTENER_ARN = "ListenerArn"
    # Adopt mode: the weighted-forward rule on the running platform's listener (absent in self-contained mode,
    # where the listener's default action carries the weights).
    LISTENER_RULE_ARN = "ListenerRuleArn"
    ECS_TARGET_GROUP_ARN = "EcsTargetGroupArn"
    LEGACY_TARGET_GROUP_ARN = "LegacyTargetGroupArn"
    ROLLOUT_ALARM_NAMES = "RolloutAlarmNames"
    ALARM_TOPIC_ARN = "AlarmTopicArn"
    LOG_GROUP_NAME = "LogGroupName"
    SERVICE_URL = "ServiceUrl"
    # The Parameter Store name of the migration's lease and run record (macro-deploy writes it; the AWS-side
    # safety net records its reason in it).
    MIGRATION_RECORD_PARAMETER = "MigrationRecordParameter"


def migration_record_parameter(stack_name: str) -> str:
    """The Parameter Store name of a stack's migration lease and run record (outside the app's config)."""
    return f"/macro-ai-deploy/{stack_name}/migration"


# macro-deploy tags an image ``deployed-<image tag>`` before a stack runs it (ECR tags are immutable, an image
# may carry several). The registry's lifecycle rules never expire an image with this prefix, so a running
# service, a rollback target or a stopped preview can always start again.
DEPLOYED_IMAGE_TAG_PREFIX = "deployed-"


def deployed_image_tag(image_tag: str) -> str:
    return f"{DEPLOYED_IMAGE_TAG_PREFIX}{image_tag}"
