"""The gates' view of CloudWatch, with botocore's Stubber (moto has no DescribeAlarmHistory): an alarm that
went to ALARM and back to OK between two checks fails the gate; the reason of a failing alarm is shown;
a bake shorter than an alarm's Period x DatapointsToAlarm (+ lag) is refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import ANY, Stubber
from macro_ai_deploy.aws.cloudwatch import Alarms, AlarmState, minimum_bake
from macro_ai_deploy.aws.elbv2 import LoadBalancing
from macro_ai_deploy.aws.gates import AwsGates
from macro_ai_deploy.commands.migrate import refuse_blind_bake
from macro_ai_deploy.errors import Refused
from macro_ai_deploy.rollout import Plan, Weights

T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def alarm(name: str, state: str, reason: str = "", period: int = 60, datapoints: int = 2) -> dict:
    return {
        "AlarmName": name,
        "StateValue": state,
        "StateReason": reason,
        "Period": period,
        "EvaluationPeriods": 3,
        "DatapointsToAlarm": datapoints,
    }


def gates_with(cw_responses: list[tuple[str, dict]]) -> tuple[AwsGates, Stubber]:
    cw = boto3.client("cloudwatch", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(cw)
    for op, resp in cw_responses:
        stub.add_response(
            op,
            resp,
            None
            if op != "describe_alarm_history"
            else {"AlarmName": ANY, "HistoryItemType": "StateUpdate", "StartDate": ANY},
        )
    stub.activate()
    # only alarms matter here: weights 100 % legacy with no target-group reads
    lb = LoadBalancing(None)
    g = AwsGates(Alarms(cw), ["api-5xx"], lb, "legacy", "ecs", 1, utcnow=lambda: T0)
    g._targets = lambda *a, **k: []  # type: ignore[method-assign]
    return g, stub


def test_an_alarm_that_flapped_between_checks_fails_the_gate():
    flap = {
        "Timestamp": T0,
        "HistoryItemType": "StateUpdate",
        "HistorySummary": "Alarm updated from OK to ALARM",
        "HistoryData": json.dumps({"oldState": {"stateValue": "OK"}, "newState": {"stateValue": "ALARM"}}),
        "AlarmName": "api-5xx",
    }
    gates, stub = gates_with(
        [
            ("describe_alarms", {"MetricAlarms": [alarm("api-5xx", "OK")]}),
            ("describe_alarm_history", {"AlarmHistoryItems": [flap]}),
        ]
    )
    report = gates.check(Weights.to_ecs(10))
    stub.assert_no_pending_responses()
    assert not report.ok
    assert "went to ALARM during this step" in report.reason()
    assert "OK to ALARM" in report.reason()


def test_a_failing_alarm_shows_its_state_reason():
    reason = "Threshold Crossed: 3 out of the last 3 datapoints [12.0, 9.0, 11.0] were greater than 5.0"
    gates, _ = gates_with(
        [
            ("describe_alarms", {"MetricAlarms": [alarm("api-5xx", "ALARM", reason)]}),
            ("describe_alarm_history", {"AlarmHistoryItems": []}),
        ]
    )
    report = gates.check(Weights.to_ecs(10))
    assert not report.ok
    assert reason in report.reason()


def test_bake_shorter_than_an_alarm_can_fire_is_refused():
    states = [
        AlarmState("fast", "OK", period=60, datapoints=1),
        AlarmState("slow", "OK", period=60, datapoints=2),
    ]
    assert minimum_bake(states, 60) == (180, "slow")
    with pytest.raises(Refused, match="too short to see alarm slow"):
        refuse_blind_bake(Plan(bake_seconds=20), states)
    refuse_blind_bake(Plan(bake_seconds=180), states)  # long enough: no error
    refuse_blind_bake(Plan(bake_seconds=0), [AlarmState("gone", "MISSING")])  # nothing to wait for
