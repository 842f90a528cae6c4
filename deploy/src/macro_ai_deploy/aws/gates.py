"""The rollout gates against AWS: CloudWatch alarms, target health of both TGs, healthy ECS tasks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from macro_ai_deploy.aws.cloudwatch import Alarms
from macro_ai_deploy.aws.elbv2 import LoadBalancing
from macro_ai_deploy.aws.extra_gates import EcsDeployments, LoadBalancerMetrics
from macro_ai_deploy.rollout.model import GateReport, GateResult, Weights


class AwsGates:
    def __init__(
        self,
        alarms: Alarms,
        alarm_names: list[str],
        lb: LoadBalancing,
        legacy_tg: str,
        ecs_tg: str,
        min_healthy_tasks: int,
        utcnow: Callable[[], datetime] | None = None,
        read_history: bool = True,
        metrics: LoadBalancerMetrics | None = None,
        deployments: EcsDeployments | None = None,
    ) -> None:
        self.metrics, self.deployments, self.read_history = metrics, deployments, read_history
        self.alarms, self.alarm_names, self.lb = alarms, alarm_names, lb
        self.legacy_tg, self.ecs_tg, self.min_healthy_tasks = legacy_tg, ecs_tg, min_healthy_tasks
        # with a clock, every check also reads the alarm history since the weights last changed, so an
        # alarm that went to ALARM and back to OK between two checks still fails the gate
        self.utcnow = utcnow
        self._weights: Weights | None = None
        self._since: datetime | None = None

    def _history(self) -> GateResult | None:
        if self._since is None or not self.read_history:
            return None
        flaps: list[str] = []
        try:
            for name in self.alarm_names:
                flaps += [f"{name} {h}" for h in self.alarms.alarmed_since(name, self._since)]
        except Exception as exc:
            return GateResult("alarm history", False, f"could not read the alarm history ({exc})")
        if flaps:
            return GateResult(
                "alarm history", False, "went to ALARM during this step: " + "; ".join(flaps[:3])
            )
        return GateResult("alarm history", True, "no ALARM since the step began")

    def _alarms(self) -> GateResult:
        if not self.alarm_names:
            return GateResult(
                "alarms", False, "the stack exports no RolloutAlarmNames: refusing to fly blind"
            )
        try:
            states = self.alarms.states(self.alarm_names)
        except Exception as exc:
            return GateResult("alarms", False, f"could not read alarm states ({exc})")
        bad = [s for s in states if s.state in ("ALARM", "MISSING")]
        if bad:
            return GateResult(
                "alarms",
                False,
                "; ".join(f"{s.name} is {s.state}" + (f" ({s.reason})" if s.reason else "") for s in bad),
            )
        nodata = [s.name for s in states if s.state == "INSUFFICIENT_DATA"]
        note = f" ({len(nodata)} with insufficient data)" if nodata else ""
        return GateResult("alarms", True, f"{len(states)} alarm(s) OK{note}")

    def _targets(self, label: str, tg: str, required: int, waitable_count: bool) -> list[GateResult]:
        try:
            h = self.lb.target_health(tg)
        except Exception as exc:
            return [GateResult(f"{label} targets", False, f"could not read target health ({exc})")]
        results: list[GateResult] = []
        if h.unhealthy:
            why = "; ".join(h.unhealthy_reasons[:3])
            results.append(GateResult(f"{label} targets", False, f"{h.unhealthy} unhealthy ({why})"))
        else:
            results.append(GateResult(f"{label} targets", True, h.summary()))
        if h.healthy < required:
            results.append(
                GateResult(
                    f"{label} healthy",
                    False,
                    f"{h.healthy} healthy, need {required}",
                    waitable=waitable_count,
                )
            )
        else:
            results.append(GateResult(f"{label} healthy", True, f"{h.healthy} healthy (need {required})"))
        return results

    def check(self, weights: Weights) -> GateReport:
        if self.utcnow is not None and weights != self._weights:
            self._weights, self._since = weights, self.utcnow()
        results = [self._alarms()]
        history = self._history()
        if history is not None:
            results.append(history)
        if self.metrics is not None and self._since is not None and self.utcnow is not None:
            results += self.metrics.check(self._since, self.utcnow())
        if self.deployments is not None:
            results.append(self.deployments.check())
        if weights.legacy > 0:
            results += self._targets("legacy", self.legacy_tg, 1, waitable_count=False)
        if weights.ecs > 0:
            # every Fargate task is one ip target: healthy targets == healthy ECS tasks
            results += self._targets("ecs", self.ecs_tg, max(1, self.min_healthy_tasks), waitable_count=True)
        return GateReport(tuple(results))

    def legacy_healthy(self) -> int:
        """FleetHealth: healthy targets in the legacy target group (counted before any rollback)."""
        return self.lb.target_health(self.legacy_tg).healthy
