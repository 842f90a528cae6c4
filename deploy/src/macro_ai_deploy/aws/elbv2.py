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

    def forward_actions(self, listener_arn: str, rule_arn: str | None) -> list[dict[str, Any]]:
        """The forward action(s) that carry the weights: the listener's default, or one rule's."""
        if rule_arn:
            try:
                rules = self.client.describe_rules(RuleArns=[rule_arn])["Rules"]
            except self.client.exceptions.RuleNotFoundException:
                raise NotFound(f"listener rule {rule_arn} does not exist") from None
            actions: list[dict[str, Any]] = rules[0].get("Actions", [])
            where = f"listener rule {rule_arn}"
        else:
            try:
                listeners = self.client.describe_listeners(ListenerArns=[listener_arn])["Listeners"]
            except self.client.exceptions.ListenerNotFoundException:
                raise NotFound(f"listener {listener_arn} does not exist") from None
            actions = listeners[0].get("DefaultActions", [])
            where = f"listener {listener_arn}"
        forward = [a for a in actions if a.get("Type") == "forward"]
        if not forward:
            raise DeployError(f"{where} has no forward action")
        return forward

    def forward_weights(self, listener_arn: str, rule_arn: str | None = None) -> dict[str, int]:
        """TG ARN -> raw weight of the forward action (the listener's default action, or the rule's)."""
        a = self.forward_actions(listener_arn, rule_arn)[0]
        groups = a.get("ForwardConfig", {}).get("TargetGroups")
        if groups:
            return {g["TargetGroupArn"]: int(g.get("Weight", 1)) for g in groups}
        return {a["TargetGroupArn"]: 1}

    def health_check(self, tg_arn: str) -> tuple[int, int, int]:
        """(health check interval s, healthy threshold, deregistration delay s) of a target group."""
        tg = self.client.describe_target_groups(TargetGroupArns=[tg_arn])["TargetGroups"][0]
        attrs = self.client.describe_target_group_attributes(TargetGroupArn=tg_arn)["Attributes"]
        delay = next((a["Value"] for a in attrs if a["Key"] == "deregistration_delay.timeout_seconds"), "300")
        return (
            int(tg.get("HealthCheckIntervalSeconds", 30)),
            int(tg.get("HealthyThresholdCount", 5)),
            int(delay),
        )

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
    """TrafficRouter over the forward action to the legacy and the ECS target groups.

    Self-contained stacks carry the weights in the listener's default action; adopt-mode stacks export a
    listener rule (ListenerRuleArn) on the running platform's listener, and then only that rule is moved.
    """

    def __init__(
        self, lb: LoadBalancing, listener_arn: str, legacy_tg: str, ecs_tg: str, rule_arn: str | None = None
    ) -> None:
        self.lb, self.listener_arn, self.legacy_tg, self.ecs_tg = lb, listener_arn, legacy_tg, ecs_tg
        self.rule_arn = rule_arn

    @property
    def moves(self) -> str:
        return "listener rule" if self.rule_arn else "listener default action"

    def get_weights(self) -> Weights:
        raw = self.lb.forward_weights(self.listener_arn, self.rule_arn)
        unknown = set(raw) - {self.legacy_tg, self.ecs_tg}
        if unknown:
            raise DeployError(
                f"{self.moves} forwards to unexpected target group(s): {', '.join(map(tg_short, unknown))}"
            )
        legacy, ecs = raw.get(self.legacy_tg, 0), raw.get(self.ecs_tg, 0)
        total = legacy + ecs
        if total <= 0:
            raise DeployError(f"{self.moves} forward weights are all zero")
        pct = round(100 * ecs / total)
        return Weights.to_ecs(pct)

    def set_weights(self, weights: Weights) -> None:
        old = self.lb.forward_actions(self.listener_arn, self.rule_arn)[0]
        forward: dict[str, Any] = {
            "TargetGroups": [
                {"TargetGroupArn": self.legacy_tg, "Weight": weights.legacy},
                {"TargetGroupArn": self.ecs_tg, "Weight": weights.ecs},
            ]
        }
        stickiness = old.get("ForwardConfig", {}).get("TargetGroupStickinessConfig")
        if stickiness:
            forward["TargetGroupStickinessConfig"] = stickiness
        action = [{"Type": "forward", "ForwardConfig": forward}]
        if self.rule_arn:
            self.lb.client.modify_rule(RuleArn=self.rule_arn, Actions=action)
        else:
            self.lb.client.modify_listener(ListenerArn=self.listener_arn, DefaultActions=action)
        now = self.get_weights()
        if now != weights:  # truthful: read back what the load balancer says
            raise DeployError(f"{self.moves} reads {now} after setting {weights}")
