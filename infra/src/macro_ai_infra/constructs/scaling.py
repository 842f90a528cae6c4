"""Scaling of the API service: target tracking (CPU, memory, requests), schedules, predictive scaling."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_ecs as ecs
from constructs import Construct

from macro_ai_infra.profile import PredictiveScaling, Profile

SCALE_IN_COOLDOWN = Duration.seconds(300)
SCALE_OUT_COOLDOWN = Duration.seconds(60)


class ServiceScaling(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        profile: Profile,
        service: ecs.FargateService,
        request_count_label: str,
    ) -> None:
        super().__init__(scope, construct_id)
        scaling = service.auto_scale_task_count(
            min_capacity=profile.min_capacity, max_capacity=profile.max_capacity
        )
        scaling.scale_on_cpu_utilization(
            "Cpu",
            target_utilization_percent=profile.cpu_target_percent,
            scale_in_cooldown=SCALE_IN_COOLDOWN,
            scale_out_cooldown=SCALE_OUT_COOLDOWN,
        )
        scaling.scale_on_memory_utilization(
            "Memory",
            target_utilization_percent=profile.memory_target_percent,
            scale_in_cooldown=SCALE_IN_COOLDOWN,
            scale_out_cooldown=SCALE_OUT_COOLDOWN,
        )
        target = scaling.node.find_child("Target")
        assert isinstance(target, appscaling.ScalableTarget)
        if profile.requests_per_target is not None:
            # The load balancer's RequestCountPerTarget (AWS/ApplicationELB, free), not the API's own metrics.
            # By resource label ("<load balancer>/<target group>"), so it works on an imported listener too.
            appscaling.TargetTrackingScalingPolicy(
                self,
                "Requests",
                scaling_target=target,
                target_value=profile.requests_per_target,
                predefined_metric=appscaling.PredefinedMetric.ALB_REQUEST_COUNT_PER_TARGET,
                resource_label=request_count_label,
                scale_in_cooldown=SCALE_IN_COOLDOWN,
                scale_out_cooldown=SCALE_OUT_COOLDOWN,
            )
        for schedule in profile.schedules:
            scaling.scale_on_schedule(
                schedule.name,
                schedule=appscaling.Schedule.cron(
                    minute=schedule.minute, hour=schedule.hour, week_day=schedule.week_day
                ),
                min_capacity=schedule.min_capacity,
                max_capacity=schedule.max_capacity,
            )
        self.scaling = scaling
        self.predictive = (
            self._predictive(target, profile.predictive) if profile.predictive is not None else None
        )

    def _predictive(
        self, target: appscaling.ScalableTarget, config: PredictiveScaling
    ) -> appscaling.CfnScalingPolicy:
        """The L2 has no predictive policy: the L1, on the same scalable target."""
        cfn = appscaling.CfnScalingPolicy
        return cfn(
            self,
            "Predictive",
            policy_name=f"{self.node.path.replace('/', '-')}-predictive",
            policy_type="PredictiveScaling",
            scaling_target_id=target.scalable_target_id,
            predictive_scaling_policy_configuration=cfn.PredictiveScalingPolicyConfigurationProperty(
                mode="ForecastOnly" if config.forecast_only else "ForecastAndScale",
                scheduling_buffer_time=config.scheduling_buffer_seconds,
                metric_specifications=[
                    cfn.PredictiveScalingMetricSpecificationProperty(
                        target_value=config.cpu_target_percent,
                        predefined_metric_pair_specification=cfn.PredictiveScalingPredefinedMetricPairProperty(
                            predefined_metric_type="ECSServiceCPUUtilization"
                        ),
                    )
                ],
            ),
        )
