"""Cost: a monthly AWS Budget and a Cost Anomaly Detection monitor on the environment's cost-allocation tag,
both alerting the alarm topic; tags on everything."""

from __future__ import annotations

import json

from aws_cdk import Tags
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_ce as ce
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
        anomaly_threshold_usd: int,
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
        # Beside the budget: an unexpected bill (a runaway scale-out, a forgotten NAT) alerts within a day,
        # not at 80 % of the month's budget.
        self.anomaly_monitor = ce.CfnAnomalyMonitor(
            self,
            "AnomalyMonitor",
            monitor_name=f"{name}-cost",
            monitor_type="CUSTOM",
            monitor_specification=json.dumps(
                {"Tags": {"Key": f"user:{COST_TAG}", "Values": [cost_center], "MatchOptions": ["EQUALS"]}}
            ),
        )
        self.anomaly_subscription = ce.CfnAnomalySubscription(
            self,
            "AnomalySubscription",
            subscription_name=f"{name}-cost-anomalies",
            frequency="IMMEDIATE",  # SNS subscribers get each anomaly as it is detected
            monitor_arn_list=[self.anomaly_monitor.attr_monitor_arn],
            subscribers=[ce.CfnAnomalySubscription.SubscriberProperty(type="SNS", address=topic.topic_arn)],
            threshold_expression=json.dumps(
                {
                    "Dimensions": {
                        "Key": "ANOMALY_TOTAL_IMPACT_ABSOLUTE",
                        "MatchOptions": ["GREATER_THAN_OR_EQUAL"],
                        "Values": [str(anomaly_threshold_usd)],
                    }
                }
            ),
        )
