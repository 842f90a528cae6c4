"""Request metrics in CloudWatch embedded metric format: what CloudWatch would read from the log."""

from __future__ import annotations

import orjson
from macro_ai.web.metrics import MAX_DISTINCT_VALUES, MetricsRecorder


def flushed(recorder: MetricsRecorder) -> list[dict]:  # type: ignore[type-arg]
    lines: list[bytes] = []
    recorder._write = lines.append  # type: ignore[method-assign]
    recorder.flush()
    return [orjson.loads(line) for line in lines]


def test_every_latency_reaches_cloudwatch_even_past_the_emf_value_limit() -> None:
    recorder = MetricsRecorder("api", "test")
    # 300 distinct latencies: the slowest third used to be cut off, and with them the p99.
    latencies = [0.1 * (1.03**i) for i in range(300)]  # 0.1 ms to 0.7 s
    for millis in latencies:
        recorder.record("GET /api/chats", 200, millis)
    recorder.record("GET /api/chats", 503, 9_000.0)
    documents = flushed(recorder)

    assert len(documents) >= 2
    assert all(len(d["Latency"]["Values"]) <= MAX_DISTINCT_VALUES for d in documents)
    assert sum(sum(d["Latency"]["Counts"]) for d in documents) == 301
    assert max(max(d["Latency"]["Values"]) for d in documents) == 9_000.0
    # The counters are published once, not once per document.
    counted = [d for d in documents if "Requests" in d]
    assert [(d["Requests"], d["Errors5xx"]) for d in counted] == [(301, 1)]
    for document in documents:
        declared = {m["Name"] for m in document["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
        assert declared == {
            key for key in ("Requests", "Errors4xx", "Errors5xx", "Latency") if key in document
        }


def test_a_quiet_minute_writes_nothing() -> None:
    assert flushed(MetricsRecorder("api", "test")) == []
