"""Cost: a monthly AWS Budget on the environment's cost-allocation tag, with alerts; tags on everything."""

from __future__ import annotations

from aws_cdk import Tags
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_sns as sns
from constructs import Construct, IConstruct

COST_TAG = "cost-center"


def apply_tags(scope: IConstruct, tags: dict[str, str]) -> None:
    """Tags on every taggable resource of ``scope`` and on the stack (so CloudFormation tags the rest)."""
    for key, value in tags.items():
        Tags.of(scope).add(key, value)


class Budget(Construct):
    """Monthly cost budget filtered on ``cost-center=<value>``: 80 % actual and 100 % forecast alerts."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        amount_usd: int,
        cost_center: str,
        topic: sns.ITopic,
        emails: tuple[str, ...],
    ) -> None:
        super().__init__(scope, construct_id)
        subscribers = [budgets.CfnBudget.SubscriberProperty(subscription_type="SNS", address=topic.topic_arn)]
        subscribers += [
            budgets.CfnBudget.SubscriberProperty(subscription_type="EMAIL", address=email) for email in emails
        ]
        alerts = [("ACTUAL", 80), ("ACTUAL", 100), ("FORECASTED", 100)]
        self.budget = budgets.CfnBudget(
            self,
            "Budget",
            budget=budgets.CfnBudget.BudgetDataProperty(
                budget_name=name,
                budget_type="COST",
                time_unit="MONTHLY",
                budget_limit=budgets.CfnBudget.SpendProperty(amount=amount_usd, unit="USD"),
                cost_filters={"TagKeyValue": [f"user:{COST_TAG}${cost_center}"]},
            ),
            notifications_with_subscribers=[
                budgets.CfnBudget.NotificationWithSubscribersProperty(
                    notification=budgets.CfnBudget.NotificationProperty(
                        comparison_operator="GREATER_THAN",
                        notification_type=kind,
                        threshold=threshold,
                        threshold_type="PERCENTAGE",
                    ),
                    subscribers=subscribers,
                )
                for kind, threshold in alerts
            ],
        )
