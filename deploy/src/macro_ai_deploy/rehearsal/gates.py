"""The rollout gates on HAProxy's own statistics: what the ALB's CloudWatch metrics are to AwsGates.

Per backend (= target group), since the previous check: 5xx responses / requests (HTTPCode_Target_5XX_Count
over RequestCount), the response time (HAProxy keeps the average of its last 1024 responses; it has no
p99, so the p99 threshold of the profile is held against that average), and the healthy servers
(HealthyHostCount). Thresholds come from the infra profile's alarms.
"""

from __future__ import annotations

from dataclasses import dataclass

from macro_ai_deploy.rehearsal.haproxy import FLEETS, RuntimeApi, StatRow
from macro_ai_deploy.rollout.model import GateReport, GateResult, Weights

MIN_SAMPLE = 10  # fewer requests than this since the last judged window: not enough data to judge a rate


@dataclass(frozen=True)
class Thresholds:
    error_rate_percent: float
    response_seconds: float
    min_healthy_ecs: int


class HaproxyGates:
    def __init__(self, api: RuntimeApi, thresholds: Thresholds) -> None:
        self.api = api
        self.thresholds = thresholds
        self._last: dict[str, tuple[int, int]] = {}
        self._baseline(self.api.stats())

    def _baseline(self, rows: list[StatRow]) -> None:
        for row in rows:
            if row.server == "BACKEND" and row.proxy in FLEETS:
                self._last.setdefault(row.proxy, (row.requests, row.responses_5xx))

    def _fleet(self, fleet: str, rows: list[StatRow], required: int, waitable: bool) -> list[GateResult]:
        backend = next((r for r in rows if r.proxy == fleet and r.server == "BACKEND"), None)
        servers = [r for r in rows if r.proxy == fleet and r.server not in ("BACKEND", "FRONTEND")]
        if backend is None:
            return [GateResult(f"{fleet} backend", False, "missing from HAProxy's statistics")]
        before = self._last.get(fleet, (backend.requests, backend.responses_5xx))
        requests, errors = backend.requests - before[0], backend.responses_5xx - before[1]
        t = self.thresholds
        if requests < MIN_SAMPLE:
            # too few to judge: the window grows until the next check has enough
            rate = GateResult(f"{fleet} 5xx", True, f"{errors}/{requests} requests: not enough data")
        else:
            self._last[fleet] = (backend.requests, backend.responses_5xx)
            percent = 100.0 * errors / requests
            rate = GateResult(
                f"{fleet} 5xx",
                percent < t.error_rate_percent,
                f"{percent:.1f} % of {requests} requests (limit {t.error_rate_percent:g} %)",
            )
        seconds = backend.response_ms / 1000
        latency = GateResult(
            f"{fleet} response time",
            seconds < t.response_seconds,
            f"average {seconds:.3f} s (limit {t.response_seconds:g} s)",
        )
        healthy = sum(1 for s in servers if s.up)
        health = GateResult(
            f"{fleet} healthy", healthy >= required, f"{healthy} healthy (need {required})", waitable=waitable
        )
        return [rate, latency, health]

    def check(self, weights: Weights) -> GateReport:
        rows = self.api.stats()
        # both windows move on every check, so a fleet that gets traffic back is judged on fresh data
        legacy = self._fleet("legacy", rows, 1, waitable=False)
        ecs = self._fleet("ecs", rows, max(1, self.thresholds.min_healthy_ecs), waitable=True)
        return GateReport(tuple((legacy if weights.legacy > 0 else []) + (ecs if weights.ecs > 0 else [])))
