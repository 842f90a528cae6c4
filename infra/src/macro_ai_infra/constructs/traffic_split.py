"""Traffic split: the HTTPS listener forwards to the legacy and the ECS target groups by weight.

The weights are CloudFormation parameters, so a migration step is a parameter change (or a live
``modify_listener`` written back as parameters), never a new synth.
"""

from __future__ import annotations

from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from constructs import Construct


class TrafficSplit(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        listener: elbv2.ApplicationListener,
        ecs_target_group: elbv2.IApplicationTargetGroup,
        legacy_target_group: elbv2.IApplicationTargetGroup | None,
        ecs_weight: int | float | None,
        legacy_weight: int | float | None,
    ) -> None:
        super().__init__(scope, construct_id)
        if legacy_target_group is None:
            # After the EC2 cleanup: everything to ECS, same target group as before.
            action = elbv2.ListenerAction.forward([ecs_target_group])
        else:
            if ecs_weight is None or legacy_weight is None:
                raise ValueError("a legacy fleet needs both weights")
            action = elbv2.ListenerAction.weighted_forward(
                [
                    elbv2.WeightedTargetGroup(target_group=legacy_target_group, weight=legacy_weight),
                    elbv2.WeightedTargetGroup(target_group=ecs_target_group, weight=ecs_weight),
                ]
            )
        listener.add_action("Default", action=action)
