"""AWS CDK app for the Macro AI platform on ECS Fargate."""
