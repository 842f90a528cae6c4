"""Traffic split: forward to the legacy and the ECS target groups by weight.

The weights are CloudFormation parameters, so a migration step is a parameter change (or a live
``modify_listener`` / ``modify_rule`` written back as parameters), never a new synth. Where the weights live:
- self-contained mode: the stack's own listener's default action;
- adopt mode: a rule on the running platform's listener, matching every path, evaluated before the default
  action; deleting the rule hands traffic back to the untouched default action;
- a host on a shared listener: a host-header rule (no legacy fleet there).
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from constructs import Construct


@dataclass(frozen=True)
class Weights:
    legacy_target_group: elbv2.IApplicationTargetGroup
    legacy: int | float  # CloudFormation parameter values (tokens)
    ecs: int | float
    sticky_seconds: int = 0  # > 0: a user stays on the fleet that served them first


def forward_action(
    ecs_target_group: elbv2.IApplicationTargetGroup, weights: Weights | None
) -> elbv2.ListenerAction:
    if weights is None:
        return elbv2.ListenerAction.forward([ecs_target_group])
    return elbv2.ListenerAction.weighted_forward(
        [
            elbv2.WeightedTargetGroup(target_group=weights.legacy_target_group, weight=weights.legacy),
            elbv2.WeightedTargetGroup(target_group=ecs_target_group, weight=weights.ecs),
        ],
        stickiness_duration=Duration.seconds(weights.sticky_seconds) if weights.sticky_seconds else None,
    )


class TrafficSplit(Construct):
    """The weighted forward as the default action of a listener the stack owns."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        listener: elbv2.ApplicationListener,
        ecs_target_group: elbv2.IApplicationTargetGroup,
        weights: Weights | None,
    ) -> None:
        super().__init__(scope, construct_id)
        listener.add_action("Default", action=forward_action(ecs_target_group, weights))


class ListenerRouting(Construct):
    """A rule on a listener the stack does not own: every path (adopt mode) or one host (shared listener)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        listener: elbv2.IApplicationListener,
        priority: int,
        host: str | None,
        ecs_target_group: elbv2.IApplicationTargetGroup,
        weights: Weights | None,
    ) -> None:
        super().__init__(scope, construct_id)
        condition = (
            elbv2.ListenerCondition.host_headers([host])
            if host is not None
            else elbv2.ListenerCondition.path_patterns(["/*"])
        )
        self.rule = elbv2.ApplicationListenerRule(
            self,
            "Rule",
            listener=listener,
            priority=priority,
            conditions=[condition],
            action=forward_action(ecs_target_group, weights),
        )
        self.rule_arn = self.rule.listener_rule_arn
