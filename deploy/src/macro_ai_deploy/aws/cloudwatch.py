"""CloudWatch alarm states."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AlarmState:
    name: str
    state: str  # OK | ALARM | INSUFFICIENT_DATA | MISSING
    reason: str = ""


class Alarms:
    def __init__(self, client: Any) -> None:
        self.client = client

    def states(self, names: list[str]) -> list[AlarmState]:
        found: dict[str, AlarmState] = {}
        for i in range(0, len(names), 100):
            chunk = names[i : i + 100]
            resp = self.client.describe_alarms(AlarmNames=chunk, AlarmTypes=["MetricAlarm", "CompositeAlarm"])
            for a in resp.get("MetricAlarms", []) + resp.get("CompositeAlarms", []):
                found[a["AlarmName"]] = AlarmState(a["AlarmName"], a["StateValue"], a.get("StateReason", ""))
        return [found.get(n, AlarmState(n, "MISSING", "no such alarm")) for n in names]


def parse_alarm_names(output: str) -> list[str]:
    return [n.strip() for n in output.split(",") if n.strip()]
