"""The benchmark's log counting (bench/log_volume.py) on the real server: what `macro-deploy cost` prices our
CloudWatch Logs ingestion with is the bytes the process really writes per request."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import httpx
import pytest
from api_support import API_KEY, service_environment
from macro_ai_devstack.testing import running_server

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from log_volume import LogMeter, LogVolume, metric_document_bytes

REQUESTS = 40


def test_bytes_per_request_are_the_access_lines_the_server_wrote(
    migrated_database: str, tmp_log: Path
) -> None:
    environment = service_environment(migrated_database, LOG_LEVEL="info")
    with running_server(environment, tmp_log) as server:
        meter = LogMeter(tmp_log)
        meter.start()
        offset = meter.size()
        with httpx.Client(base_url=server.url, headers={"X-API-KEY": API_KEY}) as client:
            for _ in range(REQUESTS):
                assert client.get("/api/system-info").status_code == 200
        volume = meter.stop()
        window = tmp_log.read_bytes()[offset:]
    # Bytes and requests come from the same window of the file: what landed, not what the client sent
    # (the server's stdout is block-buffered: a few lines may still sit in its buffer).
    assert 0 < volume.log_bytes <= len(window)  # the file may grow after stop(): later flushes
    assert 0 < volume.requests <= REQUESTS
    lines = window[: volume.log_bytes].splitlines()
    access = [
        line for line in lines if line.startswith(b"{") and json.loads(line).get("message") == "request"
    ]
    assert volume.requests == len(access)
    # Per request: the short access line (and nothing like a header or a cookie), within one line's error.
    mean_access = sum(len(line) + 1 for line in access) / len(access)
    assert volume.per_request == pytest.approx(mean_access, rel=0.1)
    assert 100 < volume.per_request < 400
    assert all(b"x-api-key" not in line.lower() for line in lines)
    # The once-a-minute metric documents flush at shutdown: one per route, a few hundred bytes each.
    document = metric_document_bytes(tmp_log)
    assert document is not None
    assert 200 < document < 2000


def test_no_requests_is_no_figure() -> None:
    with pytest.raises(ValueError, match="no requests logged"):
        _ = LogVolume(0, 100).per_request
