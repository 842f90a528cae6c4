"""Gates beyond the alarms: what the load balancer itself saw since the step began (ELB-generated 5xx,
target connection errors) and whether ECS started or rolled back a deployment during the migration."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from macro_ai_deploy.rollout.model import GateResult


def lb_dimension(listener_arn: str) -> str:
    """`app/<name>/<id>` from a listener ARN (…:listener/app/<name>/<id>/<listener id>)."""
    tail = listener_arn.split(":listener/", 1)[-1]
    return "/".join(tail.split("/")[:3])


def tg_dimension(tg_arn: str) -> str:
    """`targetgroup/<name>/<id>` from a target group ARN."""
    return tg_arn.split(":", 5)[-1]


class LoadBalancerMetrics:
    """Sums of ALB metrics since a moment: any ELB 5xx or target connection error to ECS fails the gate."""

    def __init__(self, cloudwatch: Any, listener_arn: str, ecs_tg_arn: str, allowed: int = 0) -> None:
        self.cw, self.allowed = cloudwatch, allowed
        self.lb, self.tg = lb_dimension(listener_arn), tg_dimension(ecs_tg_arn)

    def _sum(self, metric: str, dims: list[dict[str, str]], since: datetime, now: datetime) -> int:
        resp = self.cw.get_metric_statistics(
            Namespace="AWS/ApplicationELB",
            MetricName=metric,
            Dimensions=dims,
            StartTime=since - timedelta(seconds=60),  # the datapoint of the minute the step began
            EndTime=now,
            Period=60,
            Statistics=["Sum"],
        )
        return int(sum(p.get("Sum", 0) for p in resp.get("Datapoints", [])))

    def check(self, since: datetime, now: datetime) -> list[GateResult]:
        out: list[GateResult] = []
        lb = [{"Name": "LoadBalancer", "Value": self.lb}]
        for name, metric, dims in (
            ("elb 5xx", "HTTPCode_ELB_5XX_Count", lb),
            (
                "ecs connection errors",
                "TargetConnectionErrorCount",
                [*lb, {"Name": "TargetGroup", "Value": self.tg}],
            ),
        ):
            try:
                n = self._sum(metric, dims, since, now)
            except Exception as exc:
                out.append(GateResult(name, False, f"could not read {metric} ({exc})"))
                continue
            ok = n <= self.allowed
            out.append(GateResult(name, ok, f"{n} since the step began ({metric}, allowed {self.allowed})"))
        return out


class EcsDeployments:
    """A deployment started, failed or rolled back during the migration fails the gate."""

    def __init__(self, ecs: Any, cluster: str, service: str) -> None:
        self.ecs, self.cluster, self.service = ecs, cluster, service
        self.baseline: frozenset[str] | None = None

    def check(self) -> GateResult:
        try:
            svc = self.ecs.describe_services(cluster=self.cluster, services=[self.service])["services"][0]
        except Exception as exc:
            return GateResult("ecs deployments", False, f"could not read the service ({exc})")
        deps = svc.get("deployments", [])
        ids = frozenset(d.get("id", "") for d in deps)
        if self.baseline is None:
            self.baseline = ids
        failed = [d for d in deps if d.get("rolloutState") == "FAILED"]
        if failed:
            why = failed[0].get("rolloutStateReason", "")
            return GateResult("ecs deployments", False, f"deployment {failed[0].get('id')} FAILED: {why}")
        new = ids - self.baseline
        if new:
            return GateResult(
                "ecs deployments",
                False,
                f"ECS started deployment(s) {', '.join(sorted(new))} during the migration",
            )
        return GateResult("ecs deployments", True, f"{len(deps)} deployment(s), none new or failed")
