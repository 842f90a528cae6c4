"""The API's metric list: every metric has a unit, every set carries the latency (its request count)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from macro_ai_contract.api_metrics import METRICS_FILE, load_api_metrics, parse_api_metrics


def _data() -> dict[str, Any]:
    return dict(json.loads(METRICS_FILE.read_text()))


def test_the_repository_list_counts_per_route_and_route_less_metrics() -> None:
    metrics = load_api_metrics()
    assert metrics.per_route() == 2  # Latency, Errors5xx
    assert metrics.route_less() == 3  # Latency, Errors4xx, Errors5xx
    assert ("Errors4xx", frozenset({"Service", "Environment", "Route"})) not in metrics.published()
    assert all(name != "Requests" for name, _ in metrics.published())


def test_a_set_without_the_latency_is_refused() -> None:
    data = copy.deepcopy(_data())
    data["metricSets"][1]["metrics"] = ["Errors5xx"]
    with pytest.raises(ValueError, match="lacks Latency"):
        parse_api_metrics(data)


def test_a_metric_without_a_unit_is_refused() -> None:
    data = copy.deepcopy(_data())
    data["metricSets"][0]["metrics"].append("Requests")
    with pytest.raises(ValueError, match="no unit"):
        parse_api_metrics(data)
