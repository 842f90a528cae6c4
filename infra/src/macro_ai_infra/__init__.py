"""AWS CDK app for the Macro AI platform on ECS Fargate."""

from macro_ai_infra.node import use_pinned_node

# Before any module of this package imports aws_cdk (which starts jsii's node process).
use_pinned_node()
