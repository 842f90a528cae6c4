"""ELBv2: the listener's weighted forward action and target health."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from macro_ai_deploy.errors import DeployError, NotFound
from macro_ai_deploy.rollout.model import Weights


@dataclass(frozen=True)
class TargetHealth:
    target_group_arn: str
    states: dict[str, int]  # healthy / unhealthy / initial / draining / unused / unavailable -> count
    unhealthy_reasons: tuple[str, ...] = ()

    @property
    def healthy(self) -> int:
        return self.states.get("healthy", 0)

    @property
    def unhealthy(self) -> int:
        return self.states.get("unhealthy", 0)

    def summary(self) -> str:
        return ", ".join(f"{n} {s}" for s, n in sorted(self.states.items())) or "no targets"


def tg_short(arn: str) -> str:
    return arn.split(":targetgroup/")[-1].split("/")[0] if ":targetgroup/" in arn else arn


class LoadBalancing:
    def __init__(self, client: Any) -> None:
        self.client = client

    def forward_weights(self, listener_arn: str) -> dict[str, int]:
        """TG ARN -> raw weight of the listener's default forward action."""
        try:
            listeners = self.client.describe_listeners(ListenerArns=[listener_arn])["Listeners"]
        except self.client.exceptions.ListenerNotFoundException:
            raise NotFound(f"listener {listener_arn} does not exist") from None
        actions = [a for a in listeners[0].get("DefaultActions", []) if a.get("Type") == "forward"]
        if not actions:
            raise DeployError(f"listener {listener_arn} has no forward default action")
        a = actions[0]
        groups = a.get("ForwardConfig", {}).get("TargetGroups")
        if groups:
            return {g["TargetGroupArn"]: int(g.get("Weight", 1)) for g in groups}
        return {a["TargetGroupArn"]: 1}

    def target_health(self, tg_arn: str) -> TargetHealth:
        try:
            desc = self.client.describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"]
        except self.client.exceptions.TargetGroupNotFoundException:
            raise NotFound(f"target group {tg_arn} does not exist") from None
        states = Counter(d["TargetHealth"]["State"] for d in desc)
        reasons = tuple(
            sorted(
                {
                    f"{d['Target']['Id']}: {d['TargetHealth'].get('Reason', '')} "
                    f"{d['TargetHealth'].get('Description', '')}".strip()
                    for d in desc
                    if d["TargetHealth"]["State"] == "unhealthy"
                }
            )
        )
        return TargetHealth(tg_arn, dict(states), reasons)


class ListenerRouter:
    """TrafficRouter over one listener forwarding to the legacy and the ECS target groups."""

    def __init__(self, lb: LoadBalancing, listener_arn: str, legacy_tg: str, ecs_tg: str) -> None:
        self.lb, self.listener_arn, self.legacy_tg, self.ecs_tg = lb, listener_arn, legacy_tg, ecs_tg

    def get_weights(self) -> Weights:
        raw = self.lb.forward_weights(self.listener_arn)
        unknown = set(raw) - {self.legacy_tg, self.ecs_tg}
        if unknown:
            raise DeployError(
                f"listener forwards to unexpected target group(s): {', '.join(map(tg_short, unknown))}"
            )
        legacy, ecs = raw.get(self.legacy_tg, 0), raw.get(self.ecs_tg, 0)
        total = legacy + ecs
        if total <= 0:
            raise DeployError("listener forward weights are all zero")
        pct = round(100 * ecs / total)
        return Weights.to_ecs(pct)

    def set_weights(self, weights: Weights) -> None:
        listener = self.lb.client.describe_listeners(ListenerArns=[self.listener_arn])["Listeners"][0]
        old: dict[str, Any] = next(
            (a for a in listener.get("DefaultActions", []) if a.get("Type") == "forward"), {}
        )
        forward: dict[str, Any] = {
            "TargetGroups": [
                {"TargetGroupArn": self.legacy_tg, "Weight": weights.legacy},
                {"TargetGroupArn": self.ecs_tg, "Weight": weights.ecs},
            ]
        }
        stickiness = old.get("ForwardConfig", {}).get("TargetGroupStickinessConfig")
        if stickiness:
            forward["TargetGroupStickinessConfig"] = stickiness
        self.lb.client.modify_listener(
            ListenerArn=self.listener_arn, DefaultActions=[{"Type": "forward", "ForwardConfig": forward}]
        )
        now = self.get_weights()
        if now != weights:  # truthful: read back what the load balancer says
            raise DeployError(f"listener reads {now} after setting {weights}")
