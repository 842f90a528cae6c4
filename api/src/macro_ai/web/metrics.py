"""Request metrics in CloudWatch embedded metric format (EMF), written to the log stream.

CloudWatch turns these log lines into metrics without an agent. Requests are aggregated in memory
per route and flushed once a minute (and at shutdown), so the cost per request is a dict update,
not a log line. Latencies are kept as value/count pairs, which EMF accepts for statistics.
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

NAMESPACE = "MacroAi/Api"
MAX_DISTINCT_VALUES = 100  # EMF limit per metric
DIMENSIONS = [["Service", "Environment"], ["Service", "Environment", "Route"]]
COUNT_METRICS = [
    {"Name": "Requests", "Unit": "Count"},
    {"Name": "Errors4xx", "Unit": "Count"},
    {"Name": "Errors5xx", "Unit": "Count"},
]
LATENCY_METRIC = {"Name": "Latency", "Unit": "Milliseconds"}


@dataclass
class RouteStats:
    requests: int = 0
    errors_4xx: int = 0
    errors_5xx: int = 0
    latencies: dict[float, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, status: int, millis: float) -> None:
        self.requests += 1
        if status >= 500:
            self.errors_5xx += 1
        elif status >= 400:
            self.errors_4xx += 1
        self.latencies[_bucket(millis)] += 1


def _bucket(millis: float) -> float:
    """Two significant digits: bounded distinct values, about 5 % resolution."""
    if millis <= 0:
        return 0.0
    return float(f"{millis:.2g}")


class MetricsRecorder:
    def __init__(self, service: str, environment: str, write: Callable[[bytes], Any] | None = None) -> None:
        self.service = service
        self.environment = environment
        self._write = write or sys.stdout.buffer.write
        self._routes: dict[str, RouteStats] = defaultdict(RouteStats)

    def record(self, route: str, status: int, millis: float) -> None:
        self._routes[route].add(status, millis)

    def documents(self) -> list[dict[str, Any]]:
        """One EMF document per route, and more for a route whose latencies take more than the
        100 distinct values EMF accepts per metric: the slowest requests, the tail that p99 is made
        of, are never dropped."""
        timestamp = int(time.time() * 1000)
        documents = []
        for route, stats in self._routes.items():
            values = sorted(stats.latencies.items())
            for start in range(0, max(len(values), 1), MAX_DISTINCT_VALUES):
                chunk = values[start : start + MAX_DISTINCT_VALUES]
                counts = {
                    "Requests": stats.requests,
                    "Errors4xx": stats.errors_4xx,
                    "Errors5xx": stats.errors_5xx,
                }
                metrics = [*COUNT_METRICS, LATENCY_METRIC] if start == 0 else [LATENCY_METRIC]
                documents.append(
                    {
                        "_aws": {
                            "Timestamp": timestamp,
                            "CloudWatchMetrics": [
                                {"Namespace": NAMESPACE, "Dimensions": DIMENSIONS, "Metrics": metrics}
                            ],
                        },
                        "Service": self.service,
                        "Environment": self.environment,
                        "Route": route,
                        **(counts if start == 0 else {}),
                        "Latency": {
                            "Values": [value for value, _ in chunk],
                            "Counts": [count for _, count in chunk],
                        },
                    }
                )
        return documents

    def flush(self) -> int:
        documents = self.documents()
        self._routes = defaultdict(RouteStats)
        for document in documents:
            self._write(orjson.dumps(document) + b"\n")
        if documents and hasattr(sys.stdout, "flush"):
            sys.stdout.flush()
        return len(documents)
