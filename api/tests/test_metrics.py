"""Request metrics in CloudWatch embedded metric format: what CloudWatch would read from the log.

``cloudwatch_reads`` checks each document against the EMF specification (one document, a list of
directives, each a namespace, dimension sets and metric definitions whose targets are root members) and
returns the metrics CloudWatch would extract, by metric name and dimensions."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import orjson
from macro_ai.web.metrics import MAX_DISTINCT_VALUES, MetricsRecorder
from macro_ai_contract.api_metrics import load_api_metrics

Key = tuple[str, frozenset[tuple[str, str]]]  # metric name, dimension name/value pairs


def flushed(recorder: MetricsRecorder) -> list[dict[str, Any]]:
    lines: list[bytes] = []
    recorder._write = lines.append  # type: ignore[method-assign]
    recorder.flush()
    return [orjson.loads(line) for line in lines]


def _samples(target: Any) -> tuple[int, float]:
    """(SampleCount, Sum) of a metric target: a number, an array of numbers, or a Values/Counts histogram."""
    if isinstance(target, (int, float)):
        return 1, float(target)
    if isinstance(target, list):
        assert len(target) <= MAX_DISTINCT_VALUES
        assert all(isinstance(v, (int, float)) for v in target)
        return len(target), float(sum(target))
    values, counts = target["Values"], target["Counts"]
    assert len(values) == len(counts) <= MAX_DISTINCT_VALUES
    assert target["Count"] == sum(counts)
    assert (target["Max"], target["Min"]) == (max(values), min(values))
    assert abs(target["Sum"] - sum(v * c for v, c in zip(values, counts, strict=True))) < 1e-6
    return sum(counts), float(target["Sum"])


def cloudwatch_reads(documents: list[dict[str, Any]]) -> dict[Key, tuple[int, float]]:
    read: dict[Key, list[float]] = defaultdict(lambda: [0, 0.0])
    for document in documents:
        assert isinstance(document["_aws"]["Timestamp"], int)
        for directive in document["_aws"]["CloudWatchMetrics"]:
            assert set(directive) == {"Namespace", "Dimensions", "Metrics"}
            assert directive["Namespace"] == load_api_metrics().namespace
            assert 0 < len(directive["Metrics"]) <= 100
            for dimension_set in directive["Dimensions"]:
                assert len(dimension_set) <= 30
                assert all(isinstance(document[name], str) for name in dimension_set)
                dimensions = frozenset((name, document[name]) for name in dimension_set)
                for definition in directive["Metrics"]:
                    count, total = _samples(document[definition["Name"]])
                    entry = read[(definition["Name"], dimensions)]
                    entry[0] += count
                    entry[1] += total
    return {key: (int(count), total) for key, (count, total) in read.items()}


def _dims(route: str | None = None) -> frozenset[tuple[str, str]]:
    pairs = {("Service", "api"), ("Environment", "test")}
    return frozenset(pairs | ({("Route", route)} if route else set()))


def test_every_latency_reaches_cloudwatch_even_past_the_emf_value_limit() -> None:
    recorder = MetricsRecorder("api", "test")
    # 300 distinct latencies: the slowest third used to be cut off, and with them the p99.
    latencies = [0.1 * (1.03**i) for i in range(300)]  # 0.1 ms to 0.7 s
    for millis in latencies:
        recorder.record("GET /api/chats", 200, millis)
    recorder.record("GET /api/chats", 503, 9_000.0)
    documents = flushed(recorder)
    read = cloudwatch_reads(documents)

    assert len(documents) >= 2
    # The request count is Latency's SampleCount, per route and route-less, every document counted once.
    assert read[("Latency", _dims("GET /api/chats"))][0] == 301
    assert read[("Latency", _dims())][0] == 301
    assert max(max(d["Latency"]["Values"]) for d in documents) == 9_000.0
    # The counters are published once, not once per document.
    assert read[("Errors5xx", _dims("GET /api/chats"))] == (1, 1.0)
    assert read[("Errors5xx", _dims())] == (1, 1.0)
    assert read[("Errors4xx", _dims())] == (1, 0.0)


def test_per_route_only_latency_and_5xx_route_less_also_4xx_and_nothing_else() -> None:
    recorder = MetricsRecorder("api", "test")
    recorder.record("GET /api/chats", 200, 12.0)
    recorder.record("GET /api/chats", 404, 3.0)
    recorder.record("GET unrouted", 401, 1.0)
    recorder.record("POST /api/chats", 500, 40.0)
    read = cloudwatch_reads(flushed(recorder))

    published = {(name, frozenset(n for n, _ in dims)) for name, dims in read}
    assert published == set(load_api_metrics().published())
    assert {name for name, dims in read if ("Route", "GET /api/chats") in dims} == {"Latency", "Errors5xx"}
    assert not any(name == "Requests" for name, _ in read)
    # Route-less sums over the routes: 4 requests, one 5xx, two 4xx (the 404 and the refused key).
    assert read[("Latency", _dims())][0] == 4
    assert read[("Errors4xx", _dims())][1] == 2
    assert read[("Errors5xx", _dims())][1] == 1
    assert read[("Errors5xx", _dims("POST /api/chats"))][1] == 1
    assert read[("Latency", _dims("GET /api/chats"))] == (2, 15.0)


def test_a_quiet_minute_writes_nothing() -> None:
    assert flushed(MetricsRecorder("api", "test")) == []
