"""CloudWatch alarms: states (with their reason), how fast each can fire, and what happened since a moment."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class AlarmState:
    name: str
    state: str  # OK | ALARM | INSUFFICIENT_DATA | MISSING
    reason: str = ""
    period: int = 0  # seconds (0: composite or unknown)
    datapoints: int = 0  # DatapointsToAlarm, or EvaluationPeriods when unset

    @property
    def seconds_to_fire(self) -> int:
        """The shortest time from a breach to ALARM: Period x DatapointsToAlarm."""
        return self.period * self.datapoints


class Alarms:
    def __init__(self, client: Any) -> None:
        self.client = client

    def states(self, names: list[str]) -> list[AlarmState]:
        found: dict[str, AlarmState] = {}
        for i in range(0, len(names), 100):
            chunk = names[i : i + 100]
            resp = self.client.describe_alarms(AlarmNames=chunk, AlarmTypes=["MetricAlarm", "CompositeAlarm"])
            for a in resp.get("MetricAlarms", []) + resp.get("CompositeAlarms", []):
                found[a["AlarmName"]] = AlarmState(
                    a["AlarmName"],
                    a["StateValue"],
                    a.get("StateReason", ""),
                    int(a.get("Period") or 0),
                    int(a.get("DatapointsToAlarm") or a.get("EvaluationPeriods") or 0),
                )
        return [found.get(n, AlarmState(n, "MISSING", "no such alarm")) for n in names]

    def alarmed_since(self, name: str, since: datetime) -> list[str]:
        """Transitions into ALARM since `since` (an alarm that flapped back to OK still shows here)."""
        out: list[str] = []
        pages = self.client.get_paginator("describe_alarm_history").paginate(
            AlarmName=name, HistoryItemType="StateUpdate", StartDate=since
        )
        for page in pages:
            for item in page.get("AlarmHistoryItems", []):
                try:
                    data = json.loads(item.get("HistoryData", "{}"))
                except ValueError:
                    continue
                if data.get("newState", {}).get("stateValue") == "ALARM":
                    out.append(f"{item.get('Timestamp')}: {item.get('HistorySummary', '')}".strip())
        return out


def parse_alarm_names(output: str) -> list[str]:
    return [n.strip() for n in output.split(",") if n.strip()]


def minimum_bake(states: list[AlarmState], margin: float) -> tuple[float, str]:
    """The shortest bake in which every alarm can fire, and the alarm that sets it."""
    slowest = max(states, key=lambda s: s.seconds_to_fire, default=None)
    if slowest is None or slowest.seconds_to_fire == 0:
        return 0.0, ""
    return slowest.seconds_to_fire + margin, slowest.name
