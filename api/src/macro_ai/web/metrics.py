"""Request metrics in CloudWatch embedded metric format (EMF), written to the log stream.

CloudWatch turns these log lines into metrics without an agent. Requests are aggregated in memory
per route and flushed once a minute (and at shutdown), so the cost per request is a dict update,
not a log line. Latencies are kept as value/count pairs (EMF's histogram form), whose SampleCount
is the request count: no separate request metric is published.

Which metrics go under which dimension set is shared data (macro_ai_contract's api-metrics.json): per
route only Latency and Errors5xx, and the route-less [Service, Environment] set Latency, Errors4xx and
Errors5xx. EMF applies a directive's metrics to every dimension set of that directive, so each set is a
directive of its own. Per-route 4xx stay answerable from the access log (a saved Logs Insights query).
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from macro_ai_contract.api_metrics import ApiMetrics, load_api_metrics
from starlette.types import Scope

MAX_DISTINCT_VALUES = 100  # EMF limit per metric


@dataclass
class RouteStats:
    errors_4xx: int = 0
    errors_5xx: int = 0
    latencies: dict[float, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, status: int, millis: float) -> None:
        if status >= 500:
            self.errors_5xx += 1
        elif status >= 400:
            self.errors_4xx += 1
        self.latencies[_bucket(millis)] += 1


def route_template(scope: Scope) -> str:
    """``/api/chats/{id}`` for ``/api/chats/5f0c...``: bounded metric dimensions, one per route."""
    if "route" not in scope:
        return "unrouted"  # refused before routing (API key, rate limit) or no such route
    path: str = scope["path"]
    params = scope.get("path_params") or {}
    if not params:
        return path
    names = {str(value): name for name, value in params.items()}
    return "/".join("{" + names[part] + "}" if part in names else part for part in path.split("/"))


def _bucket(millis: float) -> float:
    """Two significant digits: bounded distinct values, about 5 % resolution."""
    if millis <= 0:
        return 0.0
    return float(f"{millis:.2g}")


def _histogram(chunk: list[tuple[float, int]]) -> dict[str, Any]:
    """EMF's histogram form, with the statistic set the AWS EMF libraries write beside it."""
    values = [value for value, _ in chunk]
    counts = [count for _, count in chunk]
    return {
        "Values": values,
        "Counts": counts,
        "Max": max(values),
        "Min": min(values),
        "Count": sum(counts),
        "Sum": sum(value * count for value, count in chunk),
    }


class MetricsRecorder:
    def __init__(
        self,
        service: str,
        environment: str,
        write: Callable[[bytes], Any] | None = None,
        metrics: ApiMetrics | None = None,
    ) -> None:
        self.service = service
        self.environment = environment
        self.metrics = metrics or load_api_metrics()
        self._write = write or sys.stdout.buffer.write
        self._routes: dict[str, RouteStats] = defaultdict(RouteStats)

    def record(self, route: str, status: int, millis: float) -> None:
        self._routes[route].add(status, millis)

    def _directives(self, members: dict[str, Any]) -> list[dict[str, Any]]:
        """One directive per metric set, naming only the metrics this document carries."""
        directives = []
        for metric_set in self.metrics.metric_sets:
            names = [name for name in metric_set.metrics if name in members]
            if names:
                directives.append(
                    {
                        "Namespace": self.metrics.namespace,
                        "Dimensions": [list(metric_set.dimensions)],
                        "Metrics": [{"Name": name, "Unit": self.metrics.units[name]} for name in names],
                    }
                )
        return directives

    def documents(self) -> list[dict[str, Any]]:
        """One EMF document per route, and more for a route whose latencies take more than the
        100 distinct values EMF accepts per metric: the slowest requests, the tail that p99 is made
        of, are never dropped. The error counters go in the first document only."""
        timestamp = int(time.time() * 1000)
        names = self.metrics
        documents = []
        for route, stats in self._routes.items():
            values = sorted(stats.latencies.items())
            for start in range(0, len(values), MAX_DISTINCT_VALUES):
                chunk = values[start : start + MAX_DISTINCT_VALUES]
                members: dict[str, Any] = {names.latency: _histogram(chunk)}
                if start == 0:
                    members |= {"Errors4xx": stats.errors_4xx, "Errors5xx": stats.errors_5xx}
                documents.append(
                    {
                        "_aws": {"Timestamp": timestamp, "CloudWatchMetrics": self._directives(members)},
                        names.service_dimension: self.service,
                        names.environment_dimension: self.environment,
                        names.route_dimension: route,
                        **members,
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
