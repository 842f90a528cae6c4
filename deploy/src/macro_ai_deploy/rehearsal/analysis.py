"""Figures from the recorded requests: failures by cause, cut streams, percentiles per fleet and step."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from macro_ai_deploy.rehearsal.load import Record

EXPECTED = {"health": 200, "list": 200, "create": 201, "rename": 200, "stream": 200}


def failure_cause(r: Record) -> str | None:
    """Why this request failed, or None: a wrong status or no response at all."""
    if r.status == 0:
        return f"no response ({r.error.split(':', 1)[0] or 'error'})"
    if r.status != EXPECTED[r.kind]:
        return f"HTTP {r.status}"
    return None


def cut(r: Record) -> bool:
    return r.kind == "stream" and r.status == 200 and r.stream_complete is False


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


@dataclass
class Summary:
    requests: int = 0
    failed: int = 0
    cut_streams: int = 0
    streams: int = 0
    causes: Counter[str] = field(default_factory=Counter)
    per_fleet: dict[str, tuple[int, float, float]] = field(default_factory=dict)  # count, p50, p99
    duration: float = 0.0

    @property
    def rate(self) -> float:
        return self.requests / self.duration if self.duration > 0 else 0.0


def summarize(records: list[Record]) -> Summary:
    s = Summary(requests=len(records))
    if records:
        s.duration = max(r.due for r in records) - min(r.due for r in records)
    by_fleet: dict[str, list[float]] = {}
    for r in records:
        cause = failure_cause(r)
        if cause:
            s.failed += 1
            s.causes[f"{cause} ({r.fleet})"] += 1
        if r.kind == "stream":
            s.streams += 1
            if cut(r):
                s.cut_streams += 1
                s.causes[f"stream cut ({r.fleet})"] += 1
        if r.kind != "stream":  # streams last seconds by design: their latency is not a response time
            by_fleet.setdefault(r.fleet, []).append(r.latency)
    s.per_fleet = {f: (len(v), percentile(v, 50), percentile(v, 99)) for f, v in sorted(by_fleet.items())}
    return s


def between(records: list[Record], start: float, end: float) -> list[Record]:
    return [r for r in records if start <= r.due < end]
