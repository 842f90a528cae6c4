"""The rollout gates against AWS: CloudWatch alarms, target health of both TGs, healthy ECS tasks."""

from __future__ import annotations

from macro_ai_deploy.aws.cloudwatch import Alarms
from macro_ai_deploy.aws.elbv2 import LoadBalancing
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
    ) -> None:
        self.alarms, self.alarm_names, self.lb = alarms, alarm_names, lb
        self.legacy_tg, self.ecs_tg, self.min_healthy_tasks = legacy_tg, ecs_tg, min_healthy_tasks

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
        results = [self._alarms()]
        if weights.legacy > 0:
            results += self._targets("legacy", self.legacy_tg, 1, waitable_count=False)
        if weights.ecs > 0:
            # every Fargate task is one ip target: healthy targets == healthy ECS tasks
            results += self._targets("ecs", self.ecs_tg, max(1, self.min_healthy_tasks), waitable_count=True)
        return GateReport(tuple(results))

    def legacy_healthy(self) -> int:
        """FleetHealth: healthy targets in the legacy target group (counted before any rollback)."""
        return self.lb.target_health(self.legacy_tg).healthy
