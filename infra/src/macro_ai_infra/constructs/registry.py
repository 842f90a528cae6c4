"""Registry: the ECR repository of the API image."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ecr as ecr
from constructs import Construct
from macro_ai_contract.outputs import DEPLOYED_IMAGE_TAG_PREFIX

from macro_ai_infra.profile import Profile

UNTAGGED_EXPIRY_DAYS = 7
# ECR has no "never": an image selected by a higher-priority rule cannot be expired by a lower one, so the
# protecting rule selects deployed images and only ever expires beyond a count no repository reaches.
PROTECTED_COUNT = 100_000


def lifecycle_rules(keep_builds: int) -> list[ecr.LifecycleRule]:
    """Per tag prefix: deployed images are protected; untagged layers and never-deployed builds age out."""
    return [
        ecr.LifecycleRule(
            rule_priority=1,
            description=f"protect every image a stack has run ({DEPLOYED_IMAGE_TAG_PREFIX}* tags)",
            tag_status=ecr.TagStatus.TAGGED,
            tag_prefix_list=[DEPLOYED_IMAGE_TAG_PREFIX],
            max_image_count=PROTECTED_COUNT,
        ),
        ecr.LifecycleRule(
            rule_priority=2,
            description="drop untagged layers left by failed or superseded pushes",
            tag_status=ecr.TagStatus.UNTAGGED,
            max_image_age=Duration.days(UNTAGGED_EXPIRY_DAYS),
        ),
        ecr.LifecycleRule(
            rule_priority=3,
            description=f"keep the newest {keep_builds} builds that were never deployed",
            tag_status=ecr.TagStatus.ANY,
            max_image_count=keep_builds,
        ),
    ]


class Registry(Construct):
    """ECR repository: scan on push, immutable tags (a tag is a git commit), lifecycle rules."""

    def __init__(self, scope: Construct, construct_id: str, *, profile: Profile, service_name: str) -> None:
        super().__init__(scope, construct_id)
        self.repository = ecr.Repository(
            self,
            "Repository",
            repository_name=f"{service_name}-{profile.environment}",
            image_scan_on_push=True,
            image_tag_mutability=ecr.TagMutability.IMMUTABLE,
            encryption=ecr.RepositoryEncryption.AES_256,
            removal_policy=RemovalPolicy.RETAIN if profile.retain_data else RemovalPolicy.DESTROY,
            empty_on_delete=not profile.retain_data,
            lifecycle_rules=lifecycle_rules(50 if profile.retain_data else 20),
        )
