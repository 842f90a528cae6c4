"""The API's CloudWatch metrics (``api-metrics.json`` beside this module): namespace, dimensions, and which
metrics each dimension set carries. The API writes them, the CDK app reads only these, the cost model
counts them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

METRICS_FILE = Path(__file__).with_name("api-metrics.json")


@dataclass(frozen=True)
class MetricSet:
    """One CloudWatchMetrics directive: these metrics under this one dimension set."""

    name: str
    dimensions: tuple[str, ...]
    metrics: tuple[str, ...]


@dataclass(frozen=True)
class ApiMetrics:
    namespace: str
    service_dimension: str
    environment_dimension: str
    route_dimension: str
    units: dict[str, str]
    latency: str  # the metric whose SampleCount is the request count
    metric_sets: tuple[MetricSet, ...]

    def published(self) -> frozenset[tuple[str, frozenset[str]]]:
        """Every (metric name, dimension names) CloudWatch holds for the API."""
        return frozenset((m, frozenset(s.dimensions)) for s in self.metric_sets for m in s.metrics)

    def per_route(self) -> int:
        """Metrics each route value adds (the sets with the route dimension)."""
        return sum(len(s.metrics) for s in self.metric_sets if self.route_dimension in s.dimensions)

    def route_less(self) -> int:
        """Metrics published once per service and environment, whatever the routes."""
        return sum(len(s.metrics) for s in self.metric_sets if self.route_dimension not in s.dimensions)


def parse_api_metrics(data: dict[str, Any]) -> ApiMetrics:
    dims, units, sets = data["dimensions"], data["units"], data["metricSets"]
    metrics = ApiMetrics(
        namespace=str(data["namespace"]),
        service_dimension=str(dims["service"]),
        environment_dimension=str(dims["environment"]),
        route_dimension=str(dims["route"]),
        units={str(k): str(v) for k, v in units.items()},
        latency=str(data["latency"]),
        metric_sets=tuple(
            MetricSet(str(s["name"]), tuple(map(str, s["dimensions"])), tuple(map(str, s["metrics"])))
            for s in sets
        ),
    )
    declared = set(metrics.units)
    for metric_set in metrics.metric_sets:
        unknown = set(metric_set.metrics) - declared
        if unknown:
            raise ValueError(f"api-metrics.json: metric set {metric_set.name!r} names no unit for {unknown}")
        if metrics.latency not in metric_set.metrics:
            # Without it a set has no request count (SampleCount) to divide its errors by.
            raise ValueError(f"api-metrics.json: metric set {metric_set.name!r} lacks {metrics.latency}")
    return metrics


@cache
def load_api_metrics() -> ApiMetrics:
    return parse_api_metrics(json.loads(METRICS_FILE.read_text()))
