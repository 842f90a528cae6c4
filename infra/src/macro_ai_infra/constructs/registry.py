"""Registry: the ECR repository of the API image."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ecr as ecr
from constructs import Construct

from macro_ai_infra.profiles import Profile

UNTAGGED_EXPIRY_DAYS = 7


class Registry(Construct):
    """ECR repository: scan on push, immutable tags (a tag is a git commit), lifecycle rules."""

    def __init__(self, scope: Construct, construct_id: str, *, profile: Profile, service_name: str) -> None:
        super().__init__(scope, construct_id)
        keep_images = 50 if profile.retain_data else 20
        self.repository = ecr.Repository(
            self,
            "Repository",
            repository_name=f"{service_name}-{profile.environment}",
            image_scan_on_push=True,
            image_tag_mutability=ecr.TagMutability.IMMUTABLE,
            encryption=ecr.RepositoryEncryption.AES_256,
            removal_policy=RemovalPolicy.RETAIN if profile.retain_data else RemovalPolicy.DESTROY,
            empty_on_delete=not profile.retain_data,
            lifecycle_rules=[
                ecr.LifecycleRule(
                    rule_priority=1,
                    description="drop untagged layers left by failed or superseded pushes",
                    tag_status=ecr.TagStatus.UNTAGGED,
                    max_image_age=Duration.days(UNTAGGED_EXPIRY_DAYS),
                ),
                ecr.LifecycleRule(
                    rule_priority=2,
                    description=f"keep the newest {keep_images} images (rollback window)",
                    tag_status=ecr.TagStatus.ANY,
                    max_image_count=keep_images,
                ),
            ],
        )
