"""The AWS-side safety net of a migration (a Lambda function; boto3 only, no other dependency).

EventBridge invokes it when a rollout alarm changes state. On ALARM, while the ECS target group has a share of
the weighted forward, it moves all traffic back to the legacy target group, but only if that group has a
healthy target (a rollback never sends users to a fleet that cannot serve them). Either way it records what it
did and why under the ``safetyNet`` key of the migration record (a JSON Parameter Store parameter that
macro-deploy owns: every other key is kept).

Environment: WEIGHTS_ARN (the listener, or in adopt mode the listener rule, that carries the weights),
LEGACY_TARGET_GROUP_ARN, ECS_TARGET_GROUP_ARN, MIGRATION_RECORD_PARAMETER.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import Any

import boto3

RECORD_KEY = "safetyNet"


def _forward(actions: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((a for a in actions if a.get("Type") == "forward" and "ForwardConfig" in a), None)


def _read_actions(elbv2: Any, arn: str) -> list[dict[str, Any]]:
    if ":listener-rule/" in arn:
        return list(elbv2.describe_rules(RuleArns=[arn])["Rules"][0]["Actions"])
    return list(elbv2.describe_listeners(ListenerArns=[arn])["Listeners"][0]["DefaultActions"])


def _write_actions(elbv2: Any, arn: str, actions: list[dict[str, Any]]) -> None:
    if ":listener-rule/" in arn:
        elbv2.modify_rule(RuleArn=arn, Actions=actions)
    else:
        elbv2.modify_listener(ListenerArn=arn, DefaultActions=actions)


def _healthy_targets(elbv2: Any, target_group_arn: str) -> int:
    described = elbv2.describe_target_health(TargetGroupArn=target_group_arn)["TargetHealthDescriptions"]
    return sum(1 for t in described if t["TargetHealth"]["State"] == "healthy")


def _record(ssm: Any, name: str, entry: dict[str, str]) -> None:
    """Merge ``entry`` under RECORD_KEY, keeping every other key macro-deploy wrote."""
    try:
        current = ssm.get_parameter(Name=name)["Parameter"]
        document = json.loads(current["Value"])
        kind = current["Type"]
    except ssm.exceptions.ParameterNotFound:
        document, kind = {}, "String"
    except json.JSONDecodeError:
        document, kind = {"unreadablePreviousRecord": True}, "String"
    document[RECORD_KEY] = entry
    ssm.put_parameter(Name=name, Value=json.dumps(document, sort_keys=True), Type=kind, Overwrite=True)


def decide(*, alarm_state: str, ecs_weight: int, legacy_healthy: int | None) -> tuple[str, str] | None:
    """(action, reason), or None when there is nothing to do. Pure, so the rules read in one place."""
    if alarm_state != "ALARM" or ecs_weight <= 0:
        return None
    if not legacy_healthy:
        return "held", (
            "the legacy target group has no healthy target: moving traffic there would fail every request, "
            "so ECS keeps its share; an operator must decide"
        )
    return "reverted", f"all traffic moved back to the legacy target group ({legacy_healthy} healthy)"


def handle(
    event: dict[str, Any], elbv2: Any, ssm: Any, env: dict[str, str], now: dt.datetime
) -> dict[str, Any]:
    detail = event.get("detail", {})
    alarm = str(detail.get("alarmName", "?"))
    state = str(detail.get("state", {}).get("value", "?"))
    weights_arn, legacy, ecs = env["WEIGHTS_ARN"], env["LEGACY_TARGET_GROUP_ARN"], env["ECS_TARGET_GROUP_ARN"]
    actions = _read_actions(elbv2, weights_arn)
    forward = _forward(actions)
    groups = forward["ForwardConfig"]["TargetGroups"] if forward else []
    weights = {g["TargetGroupArn"]: int(g.get("Weight", 0)) for g in groups}
    ecs_weight = weights.get(ecs, 0)
    legacy_healthy = _healthy_targets(elbv2, legacy) if state == "ALARM" and ecs_weight > 0 else None
    decision = decide(alarm_state=state, ecs_weight=ecs_weight, legacy_healthy=legacy_healthy)
    if decision is None:
        return {"action": "none", "alarm": alarm, "state": state, "ecsWeight": ecs_weight}
    action, reason = decision
    if action == "reverted" and forward is not None:
        config = dict(forward["ForwardConfig"])
        config["TargetGroups"] = [
            {"TargetGroupArn": legacy, "Weight": 100},
            {"TargetGroupArn": ecs, "Weight": 0},
        ]
        reverted = {"Type": "forward", "ForwardConfig": config}
        _write_actions(elbv2, weights_arn, [reverted if a is forward else a for a in actions])
    entry = {"at": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "alarm": alarm, "action": action, "reason": reason}
    _record(ssm, env["MIGRATION_RECORD_PARAMETER"], entry)
    return {"action": action, "alarm": alarm, "reason": reason, "ecsWeight": ecs_weight}


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    result = handle(
        event, boto3.client("elbv2"), boto3.client("ssm"), dict(os.environ), dt.datetime.now(dt.UTC)
    )
    print(json.dumps(result))  # one line in the function's log group
    return result
